fn main() {
    tune_malloc();
    if let Err(e) = kotae::cli::run() {
        eprintln!("kotae: {e:#}");
        std::process::exit(2);
    }
}

/// glibc's malloc, set before any thread starts (`MALLOC_ARENA_MAX` and
/// `MALLOC_MMAP_THRESHOLD_` in the environment still win):
/// - it gives each busy thread an arena of its own (up to 8 per core) and keeps what they
///   freed: under load the server's memory grew to ~300 MiB of mostly idle arenas. Two arenas
///   hold it near 100 MiB at no cost measurable on two cores (BENCHMARKS.md);
/// - it serves a large block from an arena once a block that size has been freed, and an
///   arena seldom gives memory back: each password hash's 19 MiB (four at a time) stayed in
///   them, and the load script's 64 sign-ins left 100 to 150 MiB behind. A fixed threshold
///   maps every block of 4 MiB or more on its own and returns it when freed.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets parameters of the allocator; no thread runs yet
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, 2);
            }
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
            }
        }
    }
}
