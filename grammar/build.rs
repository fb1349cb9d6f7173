//! Generates the parser from `src/grammar.lalrpop`. Living in its own crate,
//! the (slow) generation runs only when the grammar changes.

fn main() {
    println!("cargo:rerun-if-changed=src/grammar.lalrpop");
    if let Err(error) = lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .process()
    {
        panic!("cannot generate the parser from src/*.lalrpop: {error}");
    }
}
