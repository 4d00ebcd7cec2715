//! Reading the shared data once per test binary.

use std::sync::OnceLock;

use aftercare_intel::Record;
use aftercare_match::{Index, IndexBuilder};

/// Every record of every OSV zip of the shared data, in zip order.
pub fn osv_records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let mut records = Vec::new();
        for zip in aftercare_testdata::zips_in("osv") {
            for entry in aftercare_testdata::zip_entries(&zip) {
                if let Ok(parsed) = aftercare_intel::read_document(&entry.name, &entry.bytes) {
                    records.extend(parsed.into_records());
                }
            }
        }
        records
    })
}

/// One index of every OSV record of the shared data.
pub fn osv_index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut builder = IndexBuilder::new();
        for record in osv_records() {
            builder.add(record.clone());
        }
        builder.build()
    })
}
