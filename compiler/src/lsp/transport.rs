//! Standard input and output as a connection: `Content-Length`-framed
//! JSON-RPC messages, read and written on two threads.
//!
//! The frames are read here rather than by `lsp-server`, whose reader
//! allocates whatever length a header announces: a header is at most
//! [`MAX_HEADER_LINE`] bytes, a body at most [`MAX_MESSAGE`] bytes, and a
//! body is read as it arrives (a header that announces more than is sent
//! costs nothing). A frame over a limit, or a header that is not one, ends
//! the connection with the reason; a well-framed body that is not a
//! JSON-RPC message is logged and skipped. The reader also reads ahead of
//! the server into an unbounded queue, so that edits sent back to back wait
//! there together and the server can take them all before it checks the
//! document again.

use lsp_server::{Connection, Message};
use mesh_core::amount::display_count;
use std::io::{self, BufRead, Read, Write};
use std::thread::JoinHandle;

/// The largest message body accepted: room for a Mesh file of several
/// megabytes, escaped as JSON, many times over.
pub const MAX_MESSAGE: usize = 64 << 20;

/// The longest header line accepted, line break included.
pub const MAX_HEADER_LINE: usize = 1024;

/// The reader and writer threads of a connection.
pub struct Transport {
    reader: JoinHandle<io::Result<()>>,
    writer: JoinHandle<io::Result<()>>,
}

/// A connection over standard input and output.
pub fn stdio() -> (Connection, Transport) {
    let (server, pipe) = Connection::memory();
    let Connection {
        sender: to_server,
        receiver: from_server,
    } = pipe;
    let reader = std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        read_messages(&mut input, |message| to_server.send(message).is_ok())
    });
    let writer = std::thread::spawn(move || {
        let stdout = io::stdout();
        let mut output = stdout.lock();
        for message in from_server {
            message.write(&mut output)?;
        }
        output.flush()
    });
    (server, Transport { reader, writer })
}

impl Transport {
    /// Waits until every answer is written; returns why reading stopped, if
    /// it stopped on an error. `reader_stopped` says that the server saw the
    /// reader stop (its channel closed): the reader is then waited for, since
    /// it closes the channel a moment before it has ended. (A reader still
    /// waiting for input once the server is done is left to end with the
    /// process.)
    pub fn join(self, reader_stopped: bool) -> io::Result<()> {
        let written = self
            .writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        let read = if reader_stopped || self.reader.is_finished() {
            self.reader
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the reader thread panicked")))
        } else {
            Ok(())
        };
        read.and(written)
    }
}

/// Reads messages from `input` and gives each to `deliver` until the input
/// ends, an `exit` notification has been delivered, `deliver` says stop, or
/// the stream breaks the framing (the error says how).
pub fn read_messages(
    input: &mut impl BufRead,
    mut deliver: impl FnMut(Message) -> bool,
) -> io::Result<()> {
    while let Some(body) = read_frame(input)? {
        let message: Message = match serde_json::from_slice(&body) {
            Ok(message) => message,
            Err(e) => {
                // The frame was whole, so the next one can still be read.
                eprintln!("meshc lsp: skipping a message that is not JSON-RPC: {e}");
                continue;
            }
        };
        let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
        if !deliver(message) || exit {
            return Ok(());
        }
    }
    Ok(())
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// One frame's body, or `None` at the end of the input between frames.
pub fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut length: Option<usize> = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let read = input
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return if first {
                Ok(None)
            } else {
                Err(invalid("the input ended inside a message's header".into()))
            };
        }
        first = false;
        let Some(line) = line.strip_suffix(b"\r\n") else {
            return Err(invalid(if line.len() >= MAX_HEADER_LINE {
                format!(
                    "a header line is longer than {} bytes",
                    display_count(MAX_HEADER_LINE as u64)
                )
            } else {
                format!(
                    "a header line does not end with \\r\\n: {:?}",
                    String::from_utf8_lossy(&line)
                )
            }));
        };
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(line);
        let Some((name, value)) = line.split_once(':') else {
            return Err(invalid(format!(
                "a header line is not `Name: value`: {line:?}"
            )));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            // Any number of digits is read, so that a huge announcement is
            // refused for its size, not as a number that does not parse.
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(format!(
                    "`Content-Length: {value}` is not a length"
                )));
            }
            let announced = value.trim_start_matches('0');
            let fits = announced.len() <= 20
                && announced
                    .parse::<u128>()
                    .is_ok_and(|n| n <= MAX_MESSAGE as u128);
            if !fits {
                return Err(invalid(format!(
                    "a message announces {value} bytes, more than the {} bytes a message may have",
                    display_count(MAX_MESSAGE as u64)
                )));
            }
            length = announced.parse::<usize>().ok().or(Some(0));
        }
    }
    let Some(length) = length else {
        return Err(invalid("a message has no Content-Length header".into()));
    };
    let mut body = Vec::new();
    input.by_ref().take(length as u64).read_to_end(&mut body)?;
    if body.len() < length {
        return Err(invalid(format!(
            "the input ended {} bytes into a message of {length}",
            body.len()
        )));
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> (Vec<Message>, io::Result<()>) {
        let mut messages = Vec::new();
        let outcome = read_messages(&mut io::Cursor::new(input), |m| {
            messages.push(m);
            true
        });
        (messages, outcome)
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn messages_are_read_in_order_until_exit() {
        let input = [
            frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
            frame(r#"{"jsonrpc":"2.0","id":2,"method":"late"}"#),
        ]
        .concat();
        let (messages, outcome) = frames(input.as_bytes());
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(messages.len(), 2, "nothing is read after `exit`");
    }

    #[test]
    fn a_huge_announcement_is_refused_before_anything_is_allocated() {
        for length in ["99999999999", "67108865", "184467440737095516160000"] {
            let input = format!("Content-Length: {length}\r\n\r\n{{}}");
            let (messages, outcome) = frames(input.as_bytes());
            assert!(messages.is_empty());
            let error = outcome.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(length), "{error}");
            assert!(error.contains("more than"), "{error}");
        }
        let at_limit = format!("Content-Length: {MAX_MESSAGE}\r\n\r\n{{}}");
        let (_, outcome) = frames(at_limit.as_bytes());
        let error = outcome.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("input ended 2 bytes into"), "{error}");
    }

    #[test]
    fn broken_headers_end_the_connection_with_the_reason() {
        let long = format!("X-Long: {}\r\n\r\n", "a".repeat(2000));
        for (input, reason) in [
            ("Content-Length: 12x\r\n\r\n", "is not a length"),
            ("Content-Length: 2\n\n{}", "does not end with"),
            ("Content-Type: a\r\n\r\n{}", "no Content-Length"),
            ("Content-Length: 2\r\n", "inside a message's header"),
            (long.as_str(), "longer than"),
        ] {
            let (_, outcome) = frames(input.as_bytes());
            let error = outcome.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(reason), "{input:?}: {error}");
        }
    }

    #[test]
    fn a_body_that_is_not_json_rpc_is_skipped() {
        let input = [
            frame("not json"),
            frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#),
        ]
        .concat();
        let (messages, outcome) = frames(input.as_bytes());
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(messages.len(), 1);
    }
}
