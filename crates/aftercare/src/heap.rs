//! Transparent huge pages for the heap of a one-shot `scan`, asked for by re-executing the
//! process once with glibc's `glibc.malloc.hugetlb=1` and `glibc.malloc.top_pad` tunables.
//!
//! A scan of 1,000 components allocates about 15 MB of fresh heap, and with 4 KiB pages a
//! quarter of its time went to first-touch page faults (4,700 of them). With `hugetlb=1`
//! glibc's `malloc` asks the kernel for huge pages (`madvise(MADV_HUGEPAGE)`); with a 32 MiB
//! `top_pad` it grows the heap in a few large steps instead of ninety 128 KiB ones, so that
//! the huge pages can be used: 4,700 faults → about 450, 25 → 17 ms of CPU (BENCHMARKS.md,
//! "Matching (issue 4)"). The padding is address space, not memory: only the pages touched
//! are backed. Tunables are read only when a process starts, and the workspace forbids the
//! `unsafe` that a `madvise` or `mallopt` call would need, hence one `exec` of the same
//! binary with the variable set (about 1 ms).
//!
//! Nothing is done when the kernel would not honour the advice (THP `always`, where it is
//! not needed, or `never`), when the variable already names the tunable, when this process
//! is the re-executed one, when the executable is not named like the program started (a
//! link of another name, `ld.so aftercare …`), or when `AFTERCARE_HUGE_PAGES=0`. If `exec`
//! fails the command simply runs in this process, with ordinary pages.

/// Disables the re-execution when set to `0`; set to `1` by it, so it happens at most once.
pub const ENV: &str = "AFTERCARE_HUGE_PAGES";
const TUNABLE: &str = "glibc.malloc.hugetlb";
const SETTINGS: &str = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=33554432";
const THP_SETTING: &str = "/sys/kernel/mm/transparent_hugepage/enabled";

/// Re-executes the process with huge pages for `malloc` where that helps (see the module
/// documentation); returns when it does not.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn use_huge_pages() {
    use std::os::unix::process::CommandExt;

    if std::env::var_os(ENV).is_some() {
        return;
    }
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if tunables.contains(TUNABLE) {
        return;
    }
    let advised =
        std::fs::read_to_string(THP_SETTING).is_ok_and(|setting| setting.contains("[madvise]"));
    if !advised {
        return;
    }
    let Ok(executable) = std::env::current_exe() else {
        return;
    };
    // Started as `ld.so aftercare …` (or through a link of another name), the executable
    // is not the program the arguments are for: run here, as is.
    let started_as_itself = std::env::args_os()
        .next()
        .is_some_and(|name| std::path::Path::new(&name).file_name() == executable.file_name());
    if !started_as_itself {
        return;
    }
    let tunables = match tunables.as_str() {
        "" => SETTINGS.to_string(),
        other => format!("{other}:{SETTINGS}"),
    };
    let mut arguments = std::env::args_os();
    let mut command = std::process::Command::new(executable);
    if let Some(name) = arguments.next() {
        command.arg0(name);
    }
    // `exec` returns only when it failed; the command then runs here, unchanged.
    let _failed = command
        .args(arguments)
        .env("GLIBC_TUNABLES", tunables)
        .env(ENV, "1")
        .exec();
}

/// Huge pages are asked for through glibc's tunables only.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn use_huge_pages() {}
