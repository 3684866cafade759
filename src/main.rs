fn main() {
    limit_malloc_arenas();
    if let Err(e) = kotae::cli::run() {
        eprintln!("kotae: {e:#}");
        std::process::exit(2);
    }
}

/// glibc's malloc gives each busy thread an arena of its own (up to 8 per core) and keeps what
/// they freed: under load the server's memory grew to ~300 MiB of mostly idle arenas. Two
/// arenas hold it near 100 MiB at no cost measurable on two cores (BENCHMARKS.md). Set
/// before any thread starts; `MALLOC_ARENA_MAX` in the environment still wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a parameter of the allocator; no thread runs yet
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
