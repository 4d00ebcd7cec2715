//! The signature of a SWUpdate image (`.swu`), checked on upload as SWUpdate checks it on the
//! device.
//!
//! A `.swu` is a cpio archive (the "newc" format, magic `070701`, or "crc", `070702`) whose
//! first entry is `sw-description` and second `sw-description.sig`: a DER CMS SignedData over
//! `sw-description`, detached. SWUpdate (built with `CONFIG_SIGALG_CMS`, as Debian builds it)
//! loads the CA file given with `-k` into an `X509_STORE`, sets the store's purpose to its
//! `cert-purpose` — by default S/MIME signing (`X509_PURPOSE_SMIME_SIGN`: the signer needs the
//! extended key usage emailProtection when it has one) — and calls `CMS_verify(cms, NULL,
//! store, sw-description, NULL, CMS_BINARY)` (`corelib/swupdate_cms_verify.c`,
//! `corelib/verify_signature.c`). [`verify`] makes the same call through the `openssl` crate,
//! so that an image this server accepts is one the device accepts, and the reverse.
//!
//! Only the first two entries are read, each capped in size ([`MAX_DESCRIPTION`],
//! [`MAX_SIGNATURE`]), so memory stays flat whatever the image's payload. The payload's own
//! hashes are pinned inside the signed `sw-description` and checked by the device while it
//! installs; they are not checked here (ADR 0014).

use std::io::Read;

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::error::ErrorStack;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::{X509, X509NameRef, X509PurposeId};

use crate::ArtifactError;

/// The name of the first entry of a `.swu`.
pub const DESCRIPTION: &str = "sw-description";
/// The name of the second entry of a signed `.swu`.
pub const SIGNATURE: &str = "sw-description.sig";

/// The largest `sw-description` read (a description is a few kilobytes of text).
pub const MAX_DESCRIPTION: u64 = 4 * 1024 * 1024;
/// The largest `sw-description.sig` read (a signature with its certificate chain is a few
/// kilobytes).
pub const MAX_SIGNATURE: u64 = 1024 * 1024;

/// The longest entry name read.
const MAX_NAME: u64 = 4096;

/// Whether a file name is a SWUpdate image's (`.swu`, any case).
pub fn is_swu(filename: &str) -> bool {
    filename
        .rsplit_once('.')
        .is_some_and(|(_, extension)| extension.eq_ignore_ascii_case("swu"))
}

/// The trust anchors of a product's images: the certificates of its update CA file, in a
/// store set up as SWUpdate sets up its own.
#[derive(Debug, Clone)]
pub struct UpdateCa {
    certificates: Vec<X509>,
}

impl UpdateCa {
    /// Reads every PEM certificate of a CA file (`file` names it in errors); at least one.
    pub fn from_pem(file: &str, pem: &[u8]) -> Result<UpdateCa, ArtifactError> {
        let certificates =
            X509::stack_from_pem(pem).map_err(|error| ArtifactError::CaUnreadable {
                file: file.to_string(),
                message: openssl_reason(&error),
            })?;
        if certificates.is_empty() {
            return Err(ArtifactError::CaUnreadable {
                file: file.to_string(),
                message: "the file holds no certificate".to_string(),
            });
        }
        Ok(UpdateCa { certificates })
    }

    /// The certificates, in file order.
    pub fn certificates(&self) -> &[X509] {
        &self.certificates
    }

    /// A trust store over the certificates with SWUpdate's default purpose.
    fn store(&self) -> Result<X509Store, ErrorStack> {
        let mut builder = X509StoreBuilder::new()?;
        for certificate in &self.certificates {
            builder.add_cert(certificate.clone())?;
        }
        builder.set_purpose(X509PurposeId::SMIME_SIGN)?;
        Ok(builder.build())
    }
}

/// An entry's header and name, read from a cpio archive.
#[derive(Debug)]
struct Entry {
    name: String,
    size: u64,
    /// The crc format's checksum (the sum of the data's bytes), `None` in the newc format.
    checksum: Option<u32>,
}

/// Reads one newc/crc header and the name after it; `None` when the input is not such a header.
fn read_header(input: &mut impl Read) -> std::io::Result<Option<Entry>> {
    let mut header = [0u8; 110];
    if !read_full(input, &mut header)? {
        return Ok(None);
    }
    let crc = match &header[..6] {
        b"070701" => false,
        b"070702" => true,
        _ => return Ok(None),
    };
    let field = |index: usize| -> Option<u64> {
        let start = 6 + index * 8;
        let text = std::str::from_utf8(&header[start..start + 8]).ok()?;
        u64::from_str_radix(text, 16).ok()
    };
    // Fields: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
    // rdevminor, namesize, check.
    let (Some(size), Some(name_size), Some(check)) = (field(6), field(11), field(12)) else {
        return Ok(None);
    };
    if name_size == 0 || name_size > MAX_NAME {
        return Ok(None);
    }
    let mut name = vec![0u8; name_size as usize];
    if !read_full(input, &mut name)? {
        return Ok(None);
    }
    skip(input, padding(110 + name_size))?;
    // The name ends with its NUL.
    if name.last() == Some(&0) {
        name.pop();
    }
    Ok(Some(Entry {
        name: String::from_utf8_lossy(&name).into_owned(),
        size,
        checksum: crc.then_some(check as u32),
    }))
}

/// Fills `buffer`; `false` when the input ends first.
fn read_full(input: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<bool> {
    match input.read_exact(buffer) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(error),
    }
}

fn skip(input: &mut impl Read, count: u64) -> std::io::Result<()> {
    std::io::copy(&mut input.take(count), &mut std::io::sink()).map(|_| ())
}

/// The bytes that pad `length` to a multiple of 4.
fn padding(length: u64) -> u64 {
    (4 - length % 4) % 4
}

/// Reads an entry's data (at most `max` bytes) and the padding after it, checking the crc
/// format's checksum.
fn read_data(
    input: &mut impl Read,
    file: &str,
    position: usize,
    entry: &Entry,
    max: u64,
) -> Result<Vec<u8>, ArtifactError> {
    let bad = |message: String| ArtifactError::BadEntry {
        file: file.to_string(),
        entry: format!("{position} ({})", entry.name),
        message,
    };
    if entry.size > max {
        return Err(bad(format!(
            "{} bytes, more than the {max} bytes accepted for it",
            entry.size
        )));
    }
    let mut data = vec![0u8; entry.size as usize];
    let read = read_full(input, &mut data).map_err(|source| ArtifactError::Read {
        file: file.to_string(),
        source,
    })?;
    if !read {
        return Err(bad(format!(
            "the archive ends inside the entry's {} bytes",
            entry.size
        )));
    }
    if let Some(expected) = entry.checksum {
        let sum = data
            .iter()
            .fold(0u32, |sum, byte| sum.wrapping_add(u32::from(*byte)));
        if sum != expected {
            return Err(bad(format!(
                "the crc-format checksum is {expected:08x} in the header, {sum:08x} over the data"
            )));
        }
    }
    skip(input, padding(entry.size)).map_err(|source| ArtifactError::Read {
        file: file.to_string(),
        source,
    })?;
    Ok(data)
}

/// The signed description and its signature, read from the start of a `.swu`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDescription {
    /// `sw-description`'s bytes.
    pub description: Vec<u8>,
    /// `sw-description.sig`'s bytes.
    pub signature: Vec<u8>,
}

/// Reads the first two entries of a `.swu` (`file` names it in errors): `sw-description`,
/// then `sw-description.sig`.
pub fn read_signed_description(
    input: &mut impl Read,
    file: &str,
) -> Result<SignedDescription, ArtifactError> {
    let read_error = |source| ArtifactError::Read {
        file: file.to_string(),
        source,
    };
    let first = read_header(input)
        .map_err(read_error)?
        .ok_or_else(|| ArtifactError::NotCpio {
            file: file.to_string(),
        })?;
    if first.name != DESCRIPTION {
        return Err(ArtifactError::FirstEntry {
            file: file.to_string(),
            found: first.name,
        });
    }
    let description = read_data(input, file, 1, &first, MAX_DESCRIPTION)?;
    let second = read_header(input).map_err(read_error)?;
    let second = match second {
        Some(entry) if entry.name == SIGNATURE => entry,
        Some(entry) if entry.name == "TRAILER!!!" => {
            return Err(ArtifactError::NoSignature {
                file: file.to_string(),
                found: "the end of the archive".to_string(),
            });
        }
        Some(entry) => {
            return Err(ArtifactError::NoSignature {
                file: file.to_string(),
                found: format!("{:?}", entry.name),
            });
        }
        None => {
            return Err(ArtifactError::NoSignature {
                file: file.to_string(),
                found: "the end of the archive".to_string(),
            });
        }
    };
    let signature = read_data(input, file, 2, &second, MAX_SIGNATURE)?;
    Ok(SignedDescription {
        description,
        signature,
    })
}

/// Verifies a `.swu`'s signature over its description against a product's update CA, as
/// SWUpdate does; returns the signer's subject (`/O=…/CN=…`, several joined by `; `).
///
/// Two calls tell the refusals apart: the signature alone first (`CMS_NO_SIGNER_CERT_VERIFY`:
/// does it match these bytes?), then SWUpdate's own call (is its signer trusted, for S/MIME
/// signing?). The second decides; the first only names the reason.
pub fn verify(
    signed: &SignedDescription,
    ca: &UpdateCa,
    file: &str,
    product: &str,
) -> Result<String, ArtifactError> {
    let unreadable = |error: ErrorStack| ArtifactError::SignatureUnreadable {
        file: file.to_string(),
        message: openssl_reason(&error),
    };
    let store = ca.store().map_err(|error| ArtifactError::CaUnreadable {
        file: format!("the update CA of product {product}"),
        message: openssl_reason(&error),
    })?;
    let signers =
        signers(&signed.signature, ca).map_err(|message| ArtifactError::SignatureUnreadable {
            file: file.to_string(),
            message,
        })?;
    let mut cms = CmsContentInfo::from_der(&signed.signature).map_err(unreadable)?;
    cms.verify(
        None,
        Some(&store),
        Some(&signed.description),
        None,
        CMSOptions::BINARY | CMSOptions::NO_SIGNER_CERT_VERIFY,
    )
    .map_err(|error| ArtifactError::SignatureInvalid {
        file: file.to_string(),
        message: openssl_reason(&error),
    })?;
    let mut cms = CmsContentInfo::from_der(&signed.signature).map_err(unreadable)?;
    cms.verify(
        None,
        Some(&store),
        Some(&signed.description),
        None,
        CMSOptions::BINARY,
    )
    .map_err(|error| ArtifactError::UntrustedSigner {
        file: file.to_string(),
        product: product.to_string(),
        signer: signers.clone(),
        message: openssl_reason(&error),
    })?;
    Ok(signers)
}

/// A certificate's subject as OpenSSL's one-line form writes it (`/O=Example/CN=signer`),
/// the form SWUpdate logs a verified signer in.
pub fn subject_text(name: &X509NameRef) -> String {
    let mut out = String::new();
    for entry in name.entries() {
        let key = entry
            .object()
            .nid()
            .short_name()
            .map(str::to_string)
            .unwrap_or_else(|_| entry.object().to_string());
        let value = entry
            .data()
            .to_string()
            .unwrap_or_else(|_| String::from_utf8_lossy(entry.data().as_slice()).into_owned());
        out.push('/');
        out.push_str(&key);
        out.push('=');
        out.push_str(&value);
    }
    out
}

/// What OpenSSL's error stack says, without its file names and line numbers: each error's
/// reason and, where it has one, its detail (`certificate verify error (Verify error:unable to
/// get local issuer certificate)`).
fn openssl_reason(stack: &ErrorStack) -> String {
    let mut parts: Vec<String> = Vec::new();
    for error in stack.errors() {
        let reason = error.reason().unwrap_or("unknown error");
        let part = match error.data() {
            Some(data) if !data.is_empty() => format!("{reason} ({data})"),
            _ => reason.to_string(),
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        "OpenSSL gave no reason".to_string()
    } else {
        parts.join("; ")
    }
}

/// The subjects of a signature's signers, found by each signer's identifier (issuer and serial
/// number, or subject key identifier) among the certificates the signature carries and those
/// of the CA file.
///
/// The `openssl` crate verifies CMS but does not hand out its signers, and this crate forbids
/// `unsafe`; a signature's structure is small and fixed (RFC 5652 §5), so it is walked here.
fn signers(signature: &[u8], ca: &UpdateCa) -> Result<String, String> {
    let parsed = der::signed_data(signature)
        .ok_or_else(|| "not a CMS SignedData structure (RFC 5652)".to_string())?;
    let mut carried = Vec::new();
    for certificate in &parsed.certificates {
        if let Ok(certificate) = X509::from_der(certificate) {
            carried.push(certificate);
        }
    }
    let candidates: Vec<&X509> = carried.iter().chain(ca.certificates()).collect();
    let mut names = Vec::new();
    for signer in &parsed.signers {
        let found = candidates.iter().find(|certificate| match signer {
            der::SignerId::IssuerSerial { issuer, serial } => {
                let same_issuer = certificate
                    .issuer_name()
                    .to_der()
                    .is_ok_and(|name| name == *issuer);
                let same_serial = certificate
                    .serial_number()
                    .to_bn()
                    .is_ok_and(|number| number.to_vec() == strip_zeros(serial));
                same_issuer && same_serial
            }
            der::SignerId::KeyId(key) => certificate
                .subject_key_id()
                .is_some_and(|id| id.as_slice() == *key),
        });
        match found {
            Some(certificate) => names.push(subject_text(certificate.subject_name())),
            None => {
                return Err(
                    "the signer's certificate is neither in the signature nor in the product's \
                     update CA"
                        .to_string(),
                );
            }
        }
    }
    if names.is_empty() {
        return Err("the signature has no signer".to_string());
    }
    Ok(names.join("; "))
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The few parts of a CMS SignedData that name its signers, read from DER (or BER with
/// indefinite lengths, as a streaming signer may write it).
mod der {
    /// The deepest nesting read: far more than a SignedData needs, and a guard against input
    /// built to exhaust the stack.
    const MAX_DEPTH: usize = 16;

    /// One element: its tag, its content and all of its bytes.
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Element<'a> {
        pub tag: u8,
        pub content: &'a [u8],
        pub whole: &'a [u8],
    }

    /// How a SignerInfo names its certificate.
    #[derive(Debug, PartialEq, Eq)]
    pub(super) enum SignerId<'a> {
        /// The issuer's Name (its DER) and the serial number (the INTEGER's content).
        IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
        /// The subject key identifier.
        KeyId(&'a [u8]),
    }

    /// The certificates a SignedData carries (each a whole DER Certificate) and its signers.
    #[derive(Debug)]
    pub(super) struct SignedData<'a> {
        pub certificates: Vec<&'a [u8]>,
        pub signers: Vec<SignerId<'a>>,
    }

    /// Reads one element at the start of `input`; returns it and the rest.
    pub(super) fn element(input: &[u8], depth: usize) -> Option<(Element<'_>, &[u8])> {
        if depth > MAX_DEPTH {
            return None;
        }
        let tag = *input.first()?;
        if tag & 0x1f == 0x1f {
            return None; // high tag numbers appear nowhere in a SignedData
        }
        let first = *input.get(1)?;
        if first == 0x80 {
            // Indefinite length: a constructed element whose children end with 00 00.
            if tag & 0x20 == 0 {
                return None;
            }
            let mut rest = input.get(2..)?;
            let mut length = 0;
            loop {
                if rest.starts_with(&[0, 0]) {
                    let content = input.get(2..2 + length)?;
                    let whole = input.get(..2 + length + 2)?;
                    return Some((
                        Element {
                            tag,
                            content,
                            whole,
                        },
                        input.get(4 + length..)?,
                    ));
                }
                let (child, after) = element(rest, depth + 1)?;
                length += child.whole.len();
                rest = after;
            }
        }
        let (length, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let count = usize::from(first & 0x7f);
            if count > 4 {
                return None;
            }
            let bytes = input.get(2..2 + count)?;
            let length = bytes
                .iter()
                .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
            (length, 2 + count)
        };
        let end = header.checked_add(length)?;
        let content = input.get(header..end)?;
        Some((
            Element {
                tag,
                content,
                whole: input.get(..end)?,
            },
            input.get(end..)?,
        ))
    }

    /// The elements of a constructed element's content.
    pub(super) fn children(content: &[u8], depth: usize) -> Option<Vec<Element<'_>>> {
        let mut out = Vec::new();
        let mut rest = content;
        while !rest.is_empty() {
            let (child, after) = element(rest, depth)?;
            out.push(child);
            rest = after;
        }
        Some(out)
    }

    /// ContentInfo { contentType id-signedData, [0] EXPLICIT SignedData { version,
    /// digestAlgorithms, encapContentInfo, [0] IMPLICIT certificates OPTIONAL, [1] IMPLICIT
    /// crls OPTIONAL, signerInfos SET OF SignerInfo { version, sid, … } } }.
    pub(super) fn signed_data(input: &[u8]) -> Option<SignedData<'_>> {
        const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
        let (info, _) = element(input, 0)?;
        if info.tag != 0x30 {
            return None;
        }
        let parts = children(info.content, 1)?;
        let (content_type, explicit) = (parts.first()?, parts.get(1)?);
        if content_type.tag != 0x06 || content_type.content != SIGNED_DATA || explicit.tag != 0xa0 {
            return None;
        }
        let (signed, _) = element(explicit.content, 2)?;
        if signed.tag != 0x30 {
            return None;
        }
        let fields = children(signed.content, 3)?;
        let mut certificates = Vec::new();
        let mut signer_infos = None;
        // version, digestAlgorithms and encapContentInfo come first; then the optional
        // [0] certificates and [1] crls; the last SET is signerInfos.
        for field in fields.iter().skip(3) {
            match field.tag {
                0xa0 => {
                    for certificate in children(field.content, 4)? {
                        // Only plain certificates (SEQUENCE); attribute and other
                        // certificate choices are tagged and skipped.
                        if certificate.tag == 0x30 {
                            certificates.push(certificate.whole);
                        }
                    }
                }
                0x31 => signer_infos = Some(field.content),
                _ => {}
            }
        }
        let mut signers = Vec::new();
        for info in children(signer_infos?, 4)? {
            let fields = children(info.content, 5)?;
            let sid = fields.get(1)?;
            match sid.tag {
                0x30 => {
                    let parts = children(sid.content, 6)?;
                    let (issuer, serial) = (parts.first()?, parts.get(1)?);
                    if issuer.tag != 0x30 || serial.tag != 0x02 {
                        return None;
                    }
                    signers.push(SignerId::IssuerSerial {
                        issuer: issuer.whole,
                        serial: serial.content,
                    });
                }
                0x80 => signers.push(SignerId::KeyId(sid.content)),
                _ => return None,
            }
        }
        Some(SignedData {
            certificates,
            signers,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::Rsa;
    use openssl::x509::extension::{
        BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
    };
    use openssl::x509::{X509Builder, X509NameBuilder};

    use super::*;

    fn key() -> PKey<Private> {
        PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
    }

    /// A certificate for `subject` signed by `issuer` (self-signed when `None`), with
    /// extended key usage `usage` when given.
    fn certificate(
        subject: &str,
        key: &PKey<Private>,
        issuer: Option<(&X509, &PKey<Private>)>,
        ca: bool,
        usage: Option<&str>,
        serial: u32,
    ) -> X509 {
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("O", "Example MedTech Test")
            .unwrap();
        name.append_entry_by_text("CN", subject).unwrap();
        let name = name.build();
        let mut builder = X509Builder::new().unwrap();
        builder.set_version(2).unwrap();
        builder
            .set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
            .unwrap();
        builder.set_subject_name(&name).unwrap();
        builder
            .set_issuer_name(issuer.map_or(&name, |(cert, _)| cert.subject_name()))
            .unwrap();
        builder.set_pubkey(key).unwrap();
        builder
            .set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        builder
            .set_not_after(&Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        if ca {
            builder
                .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .key_cert_sign()
                        .crl_sign()
                        .build()
                        .unwrap(),
                )
                .unwrap();
        } else {
            builder
                .append_extension(BasicConstraints::new().build().unwrap())
                .unwrap();
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .digital_signature()
                        .build()
                        .unwrap(),
                )
                .unwrap();
        }
        match usage {
            Some("emailProtection") => builder
                .append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
                .unwrap(),
            Some("codeSigning") => builder
                .append_extension(ExtendedKeyUsage::new().code_signing().build().unwrap())
                .unwrap(),
            _ => {}
        }
        let ski = SubjectKeyIdentifier::new()
            .build(&builder.x509v3_context(None, None))
            .unwrap();
        builder.append_extension(ski).unwrap();
        let signing_key = issuer.map_or(key, |(_, key)| key);
        builder.sign(signing_key, MessageDigest::sha256()).unwrap();
        builder.build()
    }

    struct Pki {
        ca: X509,
        signer: X509,
        signer_key: PKey<Private>,
    }

    fn pki(usage: Option<&str>) -> Pki {
        let ca_key = key();
        let ca = certificate("Test Update Root CA", &ca_key, None, true, None, 1);
        let signer_key = key();
        let signer = certificate(
            "swu-test-signer",
            &signer_key,
            Some((&ca, &ca_key)),
            false,
            usage,
            2,
        );
        Pki {
            ca,
            signer,
            signer_key,
        }
    }

    /// `openssl cms -sign -binary -nosmimecap -outform DER` over `data`, detached.
    fn sign(data: &[u8], signer: &X509, key: &PKey<Private>, extra: CMSOptions) -> Vec<u8> {
        let flags = CMSOptions::BINARY | CMSOptions::DETACHED | CMSOptions::NOSMIMECAP | extra;
        CmsContentInfo::sign(Some(signer), Some(key), None, Some(data), flags)
            .unwrap()
            .to_der()
            .unwrap()
    }

    fn ca_of(pki: &Pki) -> UpdateCa {
        UpdateCa::from_pem("ca.pem", &pki.ca.to_pem().unwrap()).unwrap()
    }

    const DESCRIPTION_TEXT: &[u8] = b"software = { version = \"1.0.1\"; };\n";

    fn signed(signature: Vec<u8>) -> SignedDescription {
        SignedDescription {
            description: DESCRIPTION_TEXT.to_vec(),
            signature,
        }
    }

    #[test]
    fn a_signature_by_a_signer_of_the_ca_verifies_and_names_it() {
        let pki = pki(Some("emailProtection"));
        let signature = sign(
            DESCRIPTION_TEXT,
            &pki.signer,
            &pki.signer_key,
            CMSOptions::empty(),
        );
        let signer = verify(&signed(signature), &ca_of(&pki), "a.swu", "Pump").unwrap();
        assert_eq!(signer, "/O=Example MedTech Test/CN=swu-test-signer");
    }

    #[test]
    fn a_signer_named_by_its_key_identifier_is_found_too() {
        let pki = pki(Some("emailProtection"));
        let signature = sign(
            DESCRIPTION_TEXT,
            &pki.signer,
            &pki.signer_key,
            CMSOptions::USE_KEYID,
        );
        let parsed = der::signed_data(&signature).unwrap();
        assert!(matches!(parsed.signers[..], [der::SignerId::KeyId(_)]));
        let signer = verify(&signed(signature), &ca_of(&pki), "a.swu", "Pump").unwrap();
        assert_eq!(signer, "/O=Example MedTech Test/CN=swu-test-signer");
    }

    #[test]
    fn a_signer_without_the_smime_purpose_is_refused_as_swupdate_refuses_it() {
        // codeSigning only: SWUpdate's default cert-purpose (emailProtection) refuses it.
        let pki = pki(Some("codeSigning"));
        let signature = sign(
            DESCRIPTION_TEXT,
            &pki.signer,
            &pki.signer_key,
            CMSOptions::empty(),
        );
        let error = verify(&signed(signature), &ca_of(&pki), "a.swu", "Pump").unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(error, ArtifactError::UntrustedSigner { .. }),
            "{text}"
        );
        assert!(
            text.contains("Verify error: unsuitable certificate purpose"),
            "{text}"
        );
        // Without an extended key usage every purpose is allowed (OpenSSL's rule).
        let pki = super::tests::pki(None);
        let signature = sign(
            DESCRIPTION_TEXT,
            &pki.signer,
            &pki.signer_key,
            CMSOptions::empty(),
        );
        verify(&signed(signature), &ca_of(&pki), "a.swu", "Pump").unwrap();
    }

    #[test]
    fn a_self_signed_signer_is_not_trusted() {
        let pki = pki(Some("emailProtection"));
        let rogue_key = key();
        let rogue = certificate("rogue", &rogue_key, None, false, Some("emailProtection"), 9);
        let signature = sign(DESCRIPTION_TEXT, &rogue, &rogue_key, CMSOptions::empty());
        let error = verify(&signed(signature), &ca_of(&pki), "bad.swu", "Pump").unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(
                "bad.swu: the signer /O=Example MedTech Test/CN=rogue is not trusted by the \
                 update CA of product Pump: "
            ),
            "{text}"
        );
        assert!(text.contains("self-signed certificate"), "{text}");
    }

    #[test]
    fn a_changed_description_does_not_verify() {
        let pki = pki(Some("emailProtection"));
        let signature = sign(
            DESCRIPTION_TEXT,
            &pki.signer,
            &pki.signer_key,
            CMSOptions::empty(),
        );
        let mut changed = signed(signature);
        changed.description = b"software = { version = \"9.9.9\"; };\n".to_vec();
        let error = verify(&changed, &ca_of(&pki), "a.swu", "Pump").unwrap_err();
        assert!(
            matches!(error, ArtifactError::SignatureInvalid { .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .ends_with("verification failure; content verify error"),
            "{error}"
        );
    }

    #[test]
    fn garbage_is_not_a_signature() {
        let pki = pki(None);
        for bytes in [
            &b""[..],
            b"not DER",
            &[0x30, 0x80, 0x30, 0x80][..],
            &[0x30; 64][..],
        ] {
            let error = verify(&signed(bytes.to_vec()), &ca_of(&pki), "a.swu", "Pump").unwrap_err();
            assert!(
                matches!(error, ArtifactError::SignatureUnreadable { .. }),
                "{bytes:?}: {error}"
            );
        }
        // Deep nesting of indefinite lengths is refused, not recursed into.
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 10_000)
            .flatten()
            .collect();
        assert!(der::signed_data(&deep).is_none());
    }

    #[test]
    fn ca_files_must_hold_certificates() {
        let error = UpdateCa::from_pem("notes.txt", b"hello").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("notes.txt: not a PEM certificate"),
            "{error}"
        );
        let pki = pki(None);
        let mut two = pki.ca.to_pem().unwrap();
        two.extend(pki.signer.to_pem().unwrap());
        assert_eq!(
            UpdateCa::from_pem("chain.pem", &two)
                .unwrap()
                .certificates()
                .len(),
            2
        );
    }

    /// A newc (or crc) entry as `cpio -o -H newc|crc` writes it.
    fn entry(name: &str, data: &[u8], crc: bool) -> Vec<u8> {
        let name_size = name.len() + 1;
        let sum = data.iter().fold(0u32, |s, b| s.wrapping_add(u32::from(*b)));
        let mut out = format!(
            "{}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            if crc { "070702" } else { "070701" },
            1,
            0o100644,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name_size,
            if crc { sum } else { 0 },
        )
        .into_bytes();
        out.extend(name.as_bytes());
        out.push(0);
        out.resize(out.len() + padding((110 + name_size) as u64) as usize, 0);
        out.extend(data);
        out.resize(out.len() + padding(data.len() as u64) as usize, 0);
        out
    }

    fn archive(entries: &[(&str, &[u8])], crc: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data) in entries {
            out.extend(entry(name, data, crc));
        }
        out.extend(entry("TRAILER!!!", b"", crc));
        out
    }

    fn read(bytes: &[u8]) -> Result<SignedDescription, String> {
        read_signed_description(&mut &bytes[..], "image.swu").map_err(|e| e.to_string())
    }

    #[test]
    fn the_first_two_entries_are_read_in_both_formats() {
        for crc in [false, true] {
            let bytes = archive(
                &[
                    ("sw-description", b"desc"),
                    ("sw-description.sig", b"sig!!"),
                    ("payload.txt", b"hello"),
                ],
                crc,
            );
            assert_eq!(
                read(&bytes).unwrap(),
                SignedDescription {
                    description: b"desc".to_vec(),
                    signature: b"sig!!".to_vec()
                },
                "crc: {crc}"
            );
        }
    }

    #[test]
    fn what_is_not_a_signed_swu_is_refused_with_the_reason() {
        let check = |bytes: Vec<u8>, expected: &str| {
            let error = read(&bytes).unwrap_err();
            assert_eq!(error, expected);
        };
        check(
            b"PK\x03\x04 a zip file, not a cpio archive at all, long enough for a header ............................................................".to_vec(),
            "image.swu is not a cpio archive: a .swu is a cpio archive in the newc or crc format (its first bytes are 070701 or 070702)",
        );
        check(
            b"070701".to_vec(),
            "image.swu is not a cpio archive: a .swu is a cpio archive in the newc or crc format (its first bytes are 070701 or 070702)",
        );
        check(
            archive(&[("payload.txt", b"x"), ("sw-description", b"d")], false),
            "image.swu: the first entry of the archive is \"payload.txt\", not sw-description (SWUpdate reads the description first and refuses any other order)",
        );
        check(
            archive(&[("sw-description", b"d"), ("payload.txt", b"x")], false),
            "image.swu: no signature: the entry after sw-description is \"payload.txt\", not sw-description.sig (a CMS signature of sw-description)",
        );
        check(
            archive(&[("sw-description", b"d")], false),
            "image.swu: no signature: the entry after sw-description is the end of the archive, not sw-description.sig (a CMS signature of sw-description)",
        );
        let mut cut = archive(&[("sw-description", b"description")], false);
        cut.truncate(110 + 16 + 4);
        check(
            cut,
            "image.swu: cpio entry 1 (sw-description): the archive ends inside the entry's 11 bytes",
        );
        let mut corrupt = archive(
            &[("sw-description", b"d"), ("sw-description.sig", b"s")],
            true,
        );
        // The description's byte, after its header (110) and its name padded to 128.
        corrupt[128] = b'e';
        check(
            corrupt,
            "image.swu: cpio entry 1 (sw-description): the crc-format checksum is 00000064 in the header, 00000065 over the data",
        );
        let big = entry("sw-description", &[], false);
        let mut big = String::from_utf8(big).unwrap();
        big.replace_range(54..62, &format!("{:08x}", MAX_DESCRIPTION + 1));
        check(
            big.into_bytes(),
            &format!(
                "image.swu: cpio entry 1 (sw-description): {} bytes, more than the {MAX_DESCRIPTION} bytes accepted for it",
                MAX_DESCRIPTION + 1
            ),
        );
    }

    #[test]
    fn swu_names() {
        for (name, expected) in [
            ("pump-1.0.swu", true),
            ("PUMP.SWU", true),
            ("pump.swu.sig", false),
            ("bundle.raucb", false),
            ("swu", false),
        ] {
            assert_eq!(is_swu(name), expected, "{name}");
        }
    }
}
