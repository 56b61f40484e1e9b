//! A minimal blocking HTTP/1.1 client over `std::net::TcpStream`, so tests
//! can send exact methods, content types and bodies, read raw statuses, and
//! see connections refused or dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use kube_sim::KubeSim;
use serde_json::Value;

/// A response: status, lower-cased headers and body text.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn connect(sim: &KubeSim) -> std::io::Result<TcpStream> {
    connect_to(sim.addr())
}

fn connect_to(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    Ok(stream)
}

fn send_head(
    stream: &mut TcpStream,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
    close: bool,
) -> std::io::Result<()> {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())
}

fn read_head(reader: &mut impl BufRead) -> std::io::Result<(u16, Vec<(String, String)>)> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a response",
        ));
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Ok((status, headers))
}

/// Reads one chunk of a chunked body; `None` at the end.
fn read_chunk(reader: &mut impl BufRead) -> std::io::Result<Option<Vec<u8>>> {
    let mut size_line = String::new();
    if reader.read_line(&mut size_line)? == 0 {
        return Ok(None);
    }
    let size = usize::from_str_radix(size_line.trim(), 16)
        .map_err(|e| std::io::Error::other(format!("bad chunk size {size_line:?}: {e}")))?;
    let mut data = vec![0; size + 2];
    reader.read_exact(&mut data)?;
    data.truncate(size);
    Ok((size > 0).then_some(data))
}

/// Sends one request and reads the whole response.
pub fn send(
    sim: &KubeSim,
    method: &str,
    target: &str,
    content_type: Option<&str>,
    body: &str,
) -> std::io::Result<Response> {
    send_with(
        sim,
        method,
        target,
        &content_type
            .map(|c| vec![("Content-Type", c)])
            .unwrap_or_default(),
        body,
    )
}

/// Like [`send`] with arbitrary headers.
pub fn send_with(
    sim: &KubeSim,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Response> {
    send_to(sim.addr(), method, target, headers, body)
}

/// Like [`send_with`] to any address (a simulator in another process).
pub fn send_to(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Response> {
    let mut stream = connect_to(addr)?;
    send_head(&mut stream, method, target, headers, body, true)?;
    let mut reader = BufReader::new(stream);
    let (status, headers) = read_head(&mut reader)?;
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let mut bytes = Vec::new();
    if chunked {
        while let Some(chunk) = read_chunk(&mut reader)? {
            bytes.extend(chunk);
        }
    } else {
        reader.read_to_end(&mut bytes)?;
    }
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

pub fn get(sim: &KubeSim, target: &str) -> Response {
    send(sim, "GET", target, None, "").expect("GET")
}

pub fn post(sim: &KubeSim, target: &str, body: &Value) -> Response {
    send(
        sim,
        "POST",
        target,
        Some("application/json"),
        &body.to_string(),
    )
    .expect("POST")
}

pub fn put(sim: &KubeSim, target: &str, body: &Value) -> Response {
    send(
        sim,
        "PUT",
        target,
        Some("application/json"),
        &body.to_string(),
    )
    .expect("PUT")
}

pub fn patch(sim: &KubeSim, target: &str, content_type: &str, body: &str) -> Response {
    send(sim, "PATCH", target, Some(content_type), body).expect("PATCH")
}

pub fn delete(sim: &KubeSim, target: &str) -> Response {
    send(sim, "DELETE", target, None, "").expect("DELETE")
}

/// An open watch: yields one decoded event per call.
pub struct Watch {
    reader: BufReader<TcpStream>,
    buffered: Vec<u8>,
    pub status: u16,
}

impl Watch {
    pub fn open(sim: &KubeSim, target: &str) -> Watch {
        Self::open_with(sim, target, &[])
    }

    pub fn open_with(sim: &KubeSim, target: &str, headers: &[(&str, &str)]) -> Watch {
        let mut stream = connect(sim).expect("connect");
        send_head(&mut stream, "GET", target, headers, "", true).expect("send watch");
        let mut reader = BufReader::new(stream);
        let (status, _) = read_head(&mut reader).expect("watch head");
        Watch {
            reader,
            buffered: Vec::new(),
            status,
        }
    }

    /// The next event, or `None` when the server ended the stream.
    pub fn next_event(&mut self) -> Option<Value> {
        loop {
            if let Some(end) = self.buffered.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffered.drain(..=end).collect();
                return Some(serde_json::from_slice(&line).expect("watch event is JSON"));
            }
            let chunk = read_chunk(&mut self.reader).expect("read watch chunk")?;
            self.buffered.extend(chunk);
        }
    }

    /// The next event of `event_type` whose object satisfies `pred`,
    /// skipping others.
    pub fn wait_for(&mut self, event_type: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let event = self
                .next_event()
                .expect("watch ended before the expected event");
            if event["type"] == event_type && pred(&event["object"]) {
                return event;
            }
        }
    }
}
