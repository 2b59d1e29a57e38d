fn main() {
    std::process::exit(reload_stamp::cli_main());
}
