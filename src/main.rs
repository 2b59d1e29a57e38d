fn main() {
    std::process::exit(reload_stamp::cli::main());
}
