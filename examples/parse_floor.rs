//! The "parse floor" of the benchmark in `bench/`: one bare event parse of
//! standard input with the parser reload-stamp itself uses, and nothing
//! else. reload-stamp has to do at least this much work, so its throughput
//! divided by this one's says how much its own logic costs on top.
//!
//! Reads all of stdin into a `String` first, as reload-stamp does, so the
//! two start from the same place; prints the number of events on stderr and
//! exits 2 on a read or parse error.

use std::hint::black_box;
use std::io::Read;
use std::process::ExitCode;

use saphyr_parser::{Event, Parser};

fn main() -> ExitCode {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().lock().read_to_string(&mut text) {
        eprintln!("parse_floor: reading stdin: {e}");
        return ExitCode::from(2);
    }
    let mut parser = Parser::new_from_str(&text);
    let mut events: u64 = 0;
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => {
                events += 1;
                let end = matches!(event, Event::StreamEnd);
                // Keep the events observable so the optimiser cannot skip
                // building them.
                black_box((event, span));
                if end {
                    break;
                }
            }
            Err(e) => {
                eprintln!("parse_floor: {e}");
                return ExitCode::from(2);
            }
        }
    }
    eprintln!("{events}");
    ExitCode::SUCCESS
}
