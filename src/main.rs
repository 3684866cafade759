fn main() {
    if let Err(e) = kotae::cli::run() {
        eprintln!("kotae: {e:#}");
        std::process::exit(2);
    }
}
