//! `meshc explain CODE`: the documentation page of a diagnostic code.

use super::{report_usage_error, Status};
use meshc::diagnostic::Code;

#[derive(clap::Args)]
pub struct Args {
    /// The code to explain, such as E0501 (case does not matter).
    #[arg(required_unless_present = "list")]
    code: Option<String>,
    /// List every code with its title instead.
    #[arg(long, conflicts_with = "code")]
    list: bool,
}

pub fn run(args: &Args) -> Status {
    if args.list {
        for code in Code::ALL {
            println!("{}  {}", code.as_str(), code.title());
        }
        return Status::Success;
    }
    let text = args.code.as_deref().unwrap_or_default();
    match Code::parse(text).and_then(|code| code.explanation().map(|page| (code, page))) {
        Some((_, page)) => {
            print!("{page}");
            if !page.ends_with('\n') {
                println!();
            }
            Status::Success
        }
        None => {
            report_usage_error(&format!(
                "`{text}` is not a meshc diagnostic code; codes look like E0501 or W0001 \
                 (`meshc explain --list` shows them all)"
            ));
            Status::Usage
        }
    }
}
