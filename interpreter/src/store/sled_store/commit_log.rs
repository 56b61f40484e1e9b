//! The commit log: the durability point of a run's state.
//!
//! Every [`super::RunSession::commit`] appends one framed record holding the
//! writes it made durable and `fdatasync`s the file: one flush per step
//! boundary. The sled database is an indexed copy of the same writes that
//! is never flushed synchronously; it can always be rebuilt by replaying
//! this log, which is what happens when sled cannot reopen its files (sled
//! 0.34 was seen to fail that way after a `kill -9`) or lags behind.
//!
//! ```text
//! frame   = header payload trailer
//! header  = "RBCL" format:u32 kind:u32 seq:u64 len:u32 hash:[u8; 16]   (40 bytes)
//! payload = (key_len:u32 key val_len:u32 val)*                          (len bytes)
//! trailer = frame_len:u32 "LCBR"                                       (8 bytes)
//! ```
//!
//! Integers are little-endian; `hash` is blake3 of the payload followed by
//! the header's `format` through `len`, truncated to 16 bytes (payload
//! first, so a snapshot can be hashed while it is streamed to disk). The trailer
//! lets a reader find the last frame from the end of the file; when the file
//! ends with zeros written ahead, opening reads forward from the frame the
//! caller's database last applied. Either way, opening a run whose database
//! is up to date reads one frame (and the zeros), not the whole log.
//!
//! A frame cut short by a crash (only ever the last one: frames are only
//! appended) was never acknowledged and is cut off when the log is opened. A
//! frame that fails its checksum while a valid frame follows it is damage,
//! reported as [`LogError::Corrupt`], never skipped.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"RBCL";
const TRAILER_MAGIC: &[u8; 4] = b"LCBR";
const HEADER_LEN: u64 = 40;
const TRAILER_LEN: u64 = 8;
/// A frame is never larger than this: a length beyond it is damage (and
/// would otherwise make a reader allocate it).
const MAX_PAYLOAD: u64 = 1 << 30;

/// Version of the frame layout; a log written by a newer layout is refused.
pub const LOG_FORMAT: u32 = 1;

/// What a frame holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// The writes of one commit, on top of the frame before it.
    Commit = 1,
    /// Every record of the run as of `seq`: replay may start here.
    Snapshot = 2,
}

impl FrameKind {
    fn from_u32(n: u32) -> Option<FrameKind> {
        match n {
            1 => Some(FrameKind::Commit),
            2 => Some(FrameKind::Snapshot),
            _ => None,
        }
    }
}

/// One key/value write, as sled stores it.
pub type Write = (Vec<u8>, Vec<u8>);

/// Where a frame sits in the log and what it says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    pub kind: FrameKind,
    pub seq: u64,
    /// Offset of the frame's first byte.
    pub start: u64,
    /// Offset just past its trailer.
    pub end: u64,
}

/// A frame with its writes.
#[derive(Debug)]
pub struct Frame {
    pub info: FrameInfo,
    pub writes: Vec<Write>,
}

/// Why the log cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("commit log damaged at byte {offset}: {detail}")]
    Corrupt { offset: u64, detail: String },
    #[error("commit log written by a newer runbook (frame format {found})")]
    NewerFormat { found: u32 },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// An open commit log, positioned after its last complete frame.
#[derive(Debug)]
pub struct CommitLog {
    path: PathBuf,
    file: File,
    /// Offset just past the last complete frame (where the next one goes).
    end: u64,
    /// The file's length: past `end` it holds zeros written ahead, so that
    /// an append overwrites allocated blocks and its `fdatasync` need not
    /// commit a new file size (a file-system journal commit: 2-10x slower on
    /// ext4 here). Kept when the session ends: the next one appends into them.
    allocated: u64,
    /// `end` when this log was opened: the zeros written ahead grow with
    /// what this session appended, so a resume that commits a few frames
    /// to a large log writes a few KiB of zeros, not an eighth of it.
    session_start: u64,
    last: Option<FrameInfo>,
    /// Set when a failed append could not be undone: appending after the
    /// half-written frame would bury it in the middle of the log.
    poisoned: bool,
}

/// What opening found at the end of the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Bytes of a frame cut short by a crash, removed (zeros written ahead
    /// and never used are not counted).
    pub torn_bytes: u64,
}

/// Zeros are written ahead in steps of at least this, at most
/// [`AHEAD_MAX`], growing with what the session appended (an eighth of it).
const AHEAD_MIN: u64 = 64 * 1024;
const AHEAD_MAX: u64 = 4 * 1024 * 1024;

impl CommitLog {
    /// Create an empty log (mode 0600); fails if the file exists.
    pub fn create(path: &Path) -> std::io::Result<CommitLog> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        Ok(CommitLog {
            path: path.to_path_buf(),
            file,
            end: 0,
            allocated: 0,
            session_start: 0,
            last: None,
            poisoned: false,
        })
    }

    /// Open an existing log and find its last complete frame: from the
    /// trailer at the end of the file when the file ends with a complete
    /// frame, else by reading forward from `hint` (a frame end the caller
    /// knows, validated here) or the start. Zeros written ahead after the
    /// last frame are kept for the next appends; a torn last frame is cut
    /// off (and the cut made durable).
    pub fn open(
        path: &Path,
        hint: Option<(u64, u64)>,
    ) -> Result<(CommitLog, OpenReport), LogError> {
        let file = crate::store::private_fs::open_rw(path)?;
        let len = file.metadata()?.len();
        let mut log = CommitLog {
            path: path.to_path_buf(),
            file,
            end: 0,
            allocated: 0,
            session_start: 0,
            last: None,
            poisoned: false,
        };
        if len == 0 {
            return Ok((log, OpenReport::default()));
        }
        if let Some(info) = log.frame_ending_at(len)? {
            log.end = len;
            log.allocated = len;
            log.session_start = len;
            log.last = Some(info);
            return Ok((log, OpenReport::default()));
        }
        // The file does not end with a complete frame: read forward.
        let start = match hint {
            Some((seq, end)) if end <= len => match log.frame_ending_at(end)? {
                Some(info) if info.seq == seq => Some(info),
                _ => None,
            },
            _ => None,
        };
        let mut at = start.map_or(0, |i| i.end);
        let mut last = start;
        while let Some(info) = log.frame_at(at, len, false)? {
            at = info.end;
            last = Some(info);
        }
        let mut torn_bytes = 0;
        if at < len {
            // A crash cuts only the frame being appended, the last one: a
            // valid frame anywhere after the bad one means damage.
            let (later, nonzero) = log.scan_after(at, len)?;
            if let Some(later) = later {
                return Err(LogError::Corrupt {
                    offset: at,
                    detail: format!(
                        "the frame there is unreadable but a valid frame (seq {}) follows at byte {}",
                        later.seq, later.start
                    ),
                });
            }
            if nonzero > 0 {
                log.file.set_len(at)?;
                log.file.sync_data()?;
                torn_bytes = nonzero;
            } else {
                // Only zeros written ahead: kept, the next appends reuse
                // them (cutting them is a file-system metadata update at
                // every open and close, for nothing).
                log.allocated = len;
            }
        }
        log.end = at;
        log.allocated = log.allocated.max(at);
        log.session_start = at;
        log.last = last;
        Ok((log, OpenReport { torn_bytes }))
    }

    /// Replace the log at `path` with one snapshot frame of `records` (the
    /// whole state as of commit `seq`): streamed to `<path>.new` (memory
    /// stays flat however large the run), synced, renamed over the old log,
    /// the directory synced. A crash at any point leaves either the old log
    /// or the new one, both complete.
    pub fn rewrite<K, V, E>(
        path: &Path,
        seq: u64,
        records: impl Iterator<Item = Result<(K, V), E>>,
    ) -> Result<CommitLog, E>
    where
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
        E: From<std::io::Error>,
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = new_path(path);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, &file);
        out.write_all(&[0u8; HEADER_LEN as usize])?; // below, once hashed
        let mut hasher = blake3::Hasher::new();
        let mut len = 0u64;
        let mut buf = Vec::new();
        for record in records {
            let (k, v) = record?;
            buf.clear();
            encode_write(&mut buf, k.as_ref(), v.as_ref())?;
            hasher.update(&buf);
            out.write_all(&buf)?;
            len += buf.len() as u64;
        }
        let total = HEADER_LEN + len + TRAILER_LEN;
        out.write_all(&trailer(total)?)?;
        out.flush()?;
        drop(out);
        let header = header(FrameKind::Snapshot, seq, hasher, len)?;
        file.write_all_at(&header, 0)?;
        file.sync_data()?;
        drop(file);
        crate::failpoint::reach(crate::failpoint::Site::CompactWritten);
        std::fs::rename(&tmp, path)?;
        crate::failpoint::reach(crate::failpoint::Site::CompactRenamed);
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        let file = crate::store::private_fs::open_rw(path)?;
        Ok(CommitLog {
            path: path.to_path_buf(),
            file,
            end: total,
            allocated: total,
            session_start: total,
            last: Some(FrameInfo {
                kind: FrameKind::Snapshot,
                seq,
                start: 0,
                end: total,
            }),
            poisoned: false,
        })
    }

    /// Remove what a compaction cut short left behind (`<path>.new`): the
    /// log it was to replace is still whole.
    pub fn remove_leftover(path: &Path) -> std::io::Result<()> {
        match std::fs::remove_file(new_path(path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The first frame, if the log has one.
    pub fn first(&self) -> Result<Option<FrameInfo>, LogError> {
        self.frame_at(0, self.end, false)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last complete frame.
    pub fn last(&self) -> Option<FrameInfo> {
        self.last
    }

    /// Offset just past the last complete frame: the log's size in use.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Append one frame and make it durable (`fdatasync`). On failure the
    /// partial frame is removed again; if even that fails, the log refuses
    /// further appends.
    pub fn append(
        &mut self,
        kind: FrameKind,
        seq: u64,
        writes: &[Write],
    ) -> std::io::Result<FrameInfo> {
        if self.poisoned {
            return Err(std::io::Error::other(
                "an earlier append could not be undone; reopen the run",
            ));
        }
        let bytes = encode(kind, seq, writes)?;
        let start = self.end;
        let info = FrameInfo {
            kind,
            seq,
            start,
            end: start + bytes.len() as u64,
        };
        let written = self.write_ahead(info.end).and_then(|()| {
            crate::failpoint::log_append(&self.file, start, &bytes);
            self.file.write_all_at(&bytes, start)?;
            crate::failpoint::reach(crate::failpoint::Site::LogWritten);
            self.file.sync_data()
        });
        if let Err(e) = written {
            // Disk full, I/O error: take the partial frame back out, so the
            // next append (after space is freed) does not follow garbage.
            if self
                .file
                .set_len(start)
                .and_then(|()| self.file.sync_data())
                .is_err()
            {
                self.poisoned = true;
            }
            self.allocated = start;
            return Err(e);
        }
        self.end = info.end;
        self.last = Some(info);
        Ok(info)
    }

    /// Make sure the file is allocated (with zeros) up to `end`: if not, grow
    /// it by a step. The append's `fdatasync` makes the new size durable.
    fn write_ahead(&mut self, end: u64) -> std::io::Result<()> {
        if end <= self.allocated {
            return Ok(());
        }
        let step = ((self.end - self.session_start) / 8).clamp(AHEAD_MIN, AHEAD_MAX);
        let target = (end + step).div_ceil(AHEAD_MIN) * AHEAD_MIN;
        let zeros = vec![0u8; AHEAD_MIN as usize];
        let mut at = self.allocated;
        while at < target {
            let n = (target - at).min(AHEAD_MIN);
            self.file.write_all_at(&zeros[..n as usize], at)?;
            at += n;
        }
        self.allocated = target;
        Ok(())
    }

    /// Every frame from `offset` (a frame start) to the end, with its writes.
    /// These frames are before the known-good end: any unreadable one is
    /// damage.
    pub fn frames_from(&self, offset: u64) -> Result<Vec<Frame>, LogError> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        let mut pos = offset;
        let mut frames = Vec::new();
        while pos < self.end {
            let start = pos;
            let mut header = [0u8; HEADER_LEN as usize];
            reader.read_exact(&mut header)?;
            pos += HEADER_LEN;
            let h = parse_header(&header, start, self.end)?
                .ok_or_else(|| corrupt(start, "not a frame header"))?;
            let mut rest = vec![0u8; (h.len + TRAILER_LEN) as usize];
            reader.read_exact(&mut rest)?;
            pos += rest.len() as u64;
            let payload = &rest[..h.len as usize];
            if !h.verify(payload)
                || !trailer_ok(&rest[h.len as usize..], HEADER_LEN + h.len + TRAILER_LEN)
            {
                return Err(corrupt(
                    start,
                    &format!("frame seq {} fails its checksum", h.seq),
                ));
            }
            let writes =
                decode_payload(payload).ok_or_else(|| corrupt(start, "malformed payload"))?;
            frames.push(Frame {
                info: FrameInfo {
                    kind: h.kind,
                    seq: h.seq,
                    start,
                    end: pos,
                },
                writes,
            });
        }
        Ok(frames)
    }

    /// Where the first frame after the one ending at `end` starts, if `end`
    /// really is the end of a frame of sequence number `seq`.
    pub fn frame_end_is(&self, seq: u64, end: u64) -> Result<bool, LogError> {
        if end > self.end {
            return Ok(false);
        }
        Ok(self.frame_ending_at(end)?.is_some_and(|i| i.seq == seq))
    }

    /// The complete, valid frame ending exactly at `end`, if there is one.
    fn frame_ending_at(&self, end: u64) -> Result<Option<FrameInfo>, LogError> {
        if end < HEADER_LEN + TRAILER_LEN {
            return Ok(None);
        }
        let mut trailer = [0u8; TRAILER_LEN as usize];
        self.file.read_exact_at(&mut trailer, end - TRAILER_LEN)?;
        if &trailer[4..] != TRAILER_MAGIC {
            return Ok(None);
        }
        let frame_len = u64::from(u32::from_le_bytes([
            trailer[0], trailer[1], trailer[2], trailer[3],
        ]));
        if frame_len < HEADER_LEN + TRAILER_LEN || frame_len > end {
            return Ok(None);
        }
        self.frame_at(end - frame_len, end, true)
    }

    /// The valid frame starting at `start` and ending at or before `limit`
    /// (exactly at it if `exact`). `None` when there is none (short, bad
    /// checksum, bad trailer). A header of a newer format is an error, not
    /// "no frame". The payload is checked, not decoded.
    fn frame_at(&self, start: u64, limit: u64, exact: bool) -> Result<Option<FrameInfo>, LogError> {
        if start + HEADER_LEN + TRAILER_LEN > limit {
            return Ok(None);
        }
        let mut header = [0u8; HEADER_LEN as usize];
        self.file.read_exact_at(&mut header, start)?;
        let h = match parse_header(&header, start, limit) {
            Ok(Some(h)) => h,
            Ok(None) | Err(LogError::Corrupt { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let end = start + HEADER_LEN + h.len + TRAILER_LEN;
        if end > limit || (exact && end != limit) {
            return Ok(None);
        }
        let mut rest = vec![0u8; (h.len + TRAILER_LEN) as usize];
        self.file.read_exact_at(&mut rest, start + HEADER_LEN)?;
        let payload = &rest[..h.len as usize];
        if !h.verify(payload) || !trailer_ok(&rest[h.len as usize..], end - start) {
            return Ok(None);
        }
        Ok(Some(FrameInfo {
            kind: h.kind,
            seq: h.seq,
            start,
            end,
        }))
    }

    /// After the bad bytes at `from`: the first valid frame starting past
    /// `from`, and how many bytes up to the end are not zero (the extent of
    /// a torn write, as opposed to zeros written ahead).
    fn scan_after(&self, from: u64, len: u64) -> Result<(Option<FrameInfo>, u64), LogError> {
        let mut tail = vec![0u8; (len - from) as usize];
        self.file.read_exact_at(&mut tail, from)?;
        let nonzero = tail
            .iter()
            .rposition(|b| *b != 0)
            .map_or(0, |i| i as u64 + 1);
        let mut i = 1;
        while let Some(found) = tail
            .get(i..)
            .and_then(|t| t.windows(4).position(|w| w == MAGIC))
        {
            let start = from + (i + found) as u64;
            if let Some(info) = self.frame_at(start, len, false)? {
                return Ok((Some(info), nonzero));
            }
            i += found + 1;
        }
        Ok((None, nonzero))
    }
}

struct Header {
    kind: FrameKind,
    seq: u64,
    len: u64,
    hashed: [u8; 20],
    hash: [u8; 16],
}

impl Header {
    fn verify(&self, payload: &[u8]) -> bool {
        checksum(&self.hashed, payload) == self.hash
    }
}

fn corrupt(offset: u64, detail: &str) -> LogError {
    LogError::Corrupt {
        offset,
        detail: detail.to_string(),
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// `Ok(None)`: not a frame header at all (no magic).
fn parse_header(
    b: &[u8; HEADER_LEN as usize],
    start: u64,
    limit: u64,
) -> Result<Option<Header>, LogError> {
    if &b[..4] != MAGIC {
        return Ok(None);
    }
    let format = u32_at(b, 4);
    if format > LOG_FORMAT {
        return Err(LogError::NewerFormat { found: format });
    }
    let kind =
        FrameKind::from_u32(u32_at(b, 8)).ok_or_else(|| corrupt(start, "unknown frame kind"))?;
    let len = u64::from(u32_at(b, 20));
    if len > MAX_PAYLOAD || start + HEADER_LEN + len + TRAILER_LEN > limit {
        return Err(corrupt(start, "frame length runs past the end of the log"));
    }
    let mut hashed = [0u8; 20];
    hashed.copy_from_slice(&b[4..24]);
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&b[24..40]);
    Ok(Some(Header {
        kind,
        seq: u64_at(b, 12),
        len,
        hashed,
        hash,
    }))
}

fn trailer_ok(t: &[u8], frame_len: u64) -> bool {
    t.len() == TRAILER_LEN as usize
        && &t[4..] == TRAILER_MAGIC
        && u64::from(u32_at(t, 0)) == frame_len
}

fn checksum(hashed: &[u8; 20], payload: &[u8]) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    h.update(payload);
    h.update(hashed);
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    out
}

fn too_big() -> std::io::Error {
    std::io::Error::other("a commit larger than the commit log's frame limit (1 GiB)")
}

fn len32(n: usize) -> std::io::Result<[u8; 4]> {
    u32::try_from(n)
        .map(u32::to_le_bytes)
        .map_err(|_| too_big())
}

/// One frame's bytes.
fn encode(kind: FrameKind, seq: u64, writes: &[Write]) -> std::io::Result<Vec<u8>> {
    let payload_len: usize = writes.iter().map(|(k, v)| 8 + k.len() + v.len()).sum();
    let total = HEADER_LEN as usize + payload_len + TRAILER_LEN as usize;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[0u8; HEADER_LEN as usize]); // below, once hashed
    for (k, v) in writes {
        encode_write(&mut out, k, v)?;
    }
    let header = header(kind, seq, &out[HEADER_LEN as usize..], payload_len as u64)?;
    out[..HEADER_LEN as usize].copy_from_slice(&header);
    out.extend_from_slice(&trailer(total as u64)?);
    Ok(out)
}

fn encode_write(out: &mut Vec<u8>, k: &[u8], v: &[u8]) -> std::io::Result<()> {
    out.extend_from_slice(&len32(k.len())?);
    out.extend_from_slice(k);
    out.extend_from_slice(&len32(v.len())?);
    out.extend_from_slice(v);
    Ok(())
}

/// A frame's header, for a payload hashed so far by `payload` (bytes or a
/// hasher that has seen them).
fn header(
    kind: FrameKind,
    seq: u64,
    payload: impl Hashed,
    len: u64,
) -> std::io::Result<[u8; HEADER_LEN as usize]> {
    if len > MAX_PAYLOAD {
        return Err(too_big());
    }
    let mut h = [0u8; HEADER_LEN as usize];
    h[..4].copy_from_slice(MAGIC);
    h[4..8].copy_from_slice(&LOG_FORMAT.to_le_bytes());
    h[8..12].copy_from_slice(&(kind as u32).to_le_bytes());
    h[12..20].copy_from_slice(&seq.to_le_bytes());
    h[20..24].copy_from_slice(&len32(len as usize)?);
    let mut hashed = [0u8; 20];
    hashed.copy_from_slice(&h[4..24]);
    h[24..40].copy_from_slice(&payload.finish(&hashed));
    Ok(h)
}

fn trailer(frame_len: u64) -> std::io::Result<[u8; TRAILER_LEN as usize]> {
    let mut t = [0u8; TRAILER_LEN as usize];
    t[..4].copy_from_slice(&len32(frame_len as usize)?);
    t[4..].copy_from_slice(TRAILER_MAGIC);
    Ok(t)
}

/// A payload's checksum, from its bytes or from a hasher fed while streaming.
trait Hashed {
    fn finish(self, hashed: &[u8; 20]) -> [u8; 16];
}

impl Hashed for &[u8] {
    fn finish(self, hashed: &[u8; 20]) -> [u8; 16] {
        checksum(hashed, self)
    }
}

impl Hashed for blake3::Hasher {
    fn finish(mut self, hashed: &[u8; 20]) -> [u8; 16] {
        self.update(hashed);
        let mut out = [0u8; 16];
        out.copy_from_slice(&self.finalize().as_bytes()[..16]);
        out
    }
}

fn decode_payload(mut p: &[u8]) -> Option<Vec<Write>> {
    fn take<'a>(p: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if p.len() < n {
            return None;
        }
        let (head, rest) = p.split_at(n);
        *p = rest;
        Some(head)
    }
    fn take_len(p: &mut &[u8]) -> Option<usize> {
        Some(u32::from_le_bytes(take(p, 4)?.try_into().ok()?) as usize)
    }
    let mut writes = Vec::new();
    while !p.is_empty() {
        let klen = take_len(&mut p)?;
        let key = take(&mut p, klen)?.to_vec();
        let vlen = take_len(&mut p)?;
        let val = take(&mut p, vlen)?.to_vec();
        writes.push((key, val));
    }
    Some(writes)
}

fn new_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".new");
    PathBuf::from(name)
}

/// `fsync` a directory, so an entry created or renamed in it survives a
/// power loss.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn w(k: &str, v: &str) -> Write {
        (k.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    fn log_with(dir: &Path, n: u64) -> PathBuf {
        let path = dir.join("commits.log");
        let mut log = CommitLog::create(&path).unwrap();
        for seq in 1..=n {
            log.append(
                FrameKind::Commit,
                seq,
                &[w("run", &format!("{{\"n\":{seq}}}")), w("step/a", "x")],
            )
            .unwrap();
        }
        // A log that ends with its last frame (as a compaction writes it),
        // for the tests that append damage right after it.
        let end = log.end();
        drop(log);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(end)
            .unwrap();
        path
    }

    #[test]
    fn zeros_written_ahead_are_kept_and_reused_not_taken_for_a_torn_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("commits.log");
        let mut log = CommitLog::create(&path).unwrap();
        let mut ends = Vec::new();
        for seq in 1..=3 {
            ends.push(
                log.append(FrameKind::Commit, seq, &[w("run", "r")])
                    .unwrap()
                    .end,
            );
        }
        drop(log);
        let allocated = std::fs::metadata(&path).unwrap().len();
        assert!(allocated >= AHEAD_MIN);
        for hint in [None, Some((2, ends[1])), Some((9, ends[1]))] {
            let (log, report) = CommitLog::open(&path, hint).unwrap();
            assert_eq!(report.torn_bytes, 0, "zeros are not a torn write");
            assert_eq!((log.last().unwrap().seq, log.end()), (3, ends[2]));
        }
        assert_eq!(std::fs::metadata(&path).unwrap().len(), allocated);
        // The next session appends into them: the file does not grow.
        let (mut log, _) = CommitLog::open(&path, None).unwrap();
        let info = log.append(FrameKind::Commit, 4, &[w("run", "s")]).unwrap();
        drop(log);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), allocated);
        let (log, _) = CommitLog::open(&path, None).unwrap();
        assert_eq!((log.last().unwrap().seq, log.end()), (4, info.end));
    }

    #[test]
    fn frames_round_trip_and_the_last_is_found_from_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(dir.path(), 3);
        let (log, report) = CommitLog::open(&path, None).unwrap();
        assert_eq!(report, OpenReport::default());
        assert_eq!(log.last().unwrap().seq, 3);
        let frames = log.frames_from(0).unwrap();
        assert_eq!(
            frames.iter().map(|f| f.info.seq).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(frames[1].writes, [w("run", "{\"n\":2}"), w("step/a", "x")]);
        let second = frames[1].info;
        assert!(log.frame_end_is(2, second.end).unwrap());
        assert!(!log.frame_end_is(3, second.end).unwrap());
        assert_eq!(log.frames_from(second.end).unwrap().len(), 1);
    }

    #[test]
    fn a_torn_last_frame_is_cut_off_and_appends_continue() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(dir.path(), 2);
        let good = std::fs::metadata(&path).unwrap().len();
        let mut torn = encode(FrameKind::Commit, 3, &[w("run", "never acknowledged")]).unwrap();
        torn.truncate(torn.len() / 2);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&torn);
        std::fs::write(&path, &bytes).unwrap();

        let (mut log, report) = CommitLog::open(&path, None).unwrap();
        assert_eq!(report.torn_bytes, torn.len() as u64);
        assert_eq!(log.last().unwrap().seq, 2);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good);
        log.append(FrameKind::Commit, 3, &[w("run", "again")])
            .unwrap();
        let (log, _) = CommitLog::open(&path, None).unwrap();
        assert_eq!(log.frames_from(0).unwrap().len(), 3);
    }

    #[test]
    fn a_zeroed_tail_is_no_torn_write_and_is_written_over() {
        // A power loss can leave the grown file with zeros at its end.
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(dir.path(), 2);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[0u8; 300]);
        std::fs::write(&path, &bytes).unwrap();
        let (mut log, report) = CommitLog::open(&path, None).unwrap();
        assert_eq!((report.torn_bytes, log.last().unwrap().seq), (0, 2));
        let third = log.append(FrameKind::Commit, 3, &[w("run", "r")]).unwrap();
        drop(log);
        let (log, report) = CommitLog::open(&path, None).unwrap();
        assert_eq!(report.torn_bytes, 0);
        assert_eq!((log.last().unwrap().seq, log.end()), (3, third.end));
    }

    #[test]
    fn a_flipped_byte_in_the_middle_is_damage_not_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(dir.path(), 3);
        let (log, _) = CommitLog::open(&path, None).unwrap();
        let second = log.frames_from(0).unwrap()[1].info;
        let mut bytes = std::fs::read(&path).unwrap();
        // In the payload, then in the length field of the second frame.
        for at in [second.start + HEADER_LEN + 5, second.start + 20] {
            let mut damaged = bytes.clone();
            damaged[at as usize] ^= 0x40;
            std::fs::write(&path, &damaged).unwrap();
            let (log, _) = CommitLog::open(&path, None).unwrap(); // the end is intact
            let err = log.frames_from(0).unwrap_err();
            assert!(
                matches!(err, LogError::Corrupt { offset, .. } if offset == second.start),
                "{err}"
            );
        }
        // With a torn tail too, the open itself refuses: a valid frame
        // follows the bad one, so it is no torn write.
        bytes[(second.start + HEADER_LEN + 5) as usize] ^= 0x40;
        bytes.extend_from_slice(b"RBCL torn");
        std::fs::write(&path, &bytes).unwrap();
        let err = CommitLog::open(&path, None).unwrap_err();
        assert!(matches!(err, LogError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn a_frame_of_a_newer_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(dir.path(), 1);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[4..8].copy_from_slice(&7u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let err = CommitLog::open(&path, None).unwrap_err();
        assert!(matches!(err, LogError::NewerFormat { found: 7 }), "{err}");
    }

    #[test]
    fn a_hint_skips_reading_the_frames_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(dir.path(), 3);
        let (log, _) = CommitLog::open(&path, None).unwrap();
        let frames = log.frames_from(0).unwrap();
        // Damage the first frame and tear the tail: with a hint past the
        // damage, the open only reads from the hint.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[(HEADER_LEN + 3) as usize] ^= 1;
        bytes.extend_from_slice(b"RBCL partial");
        std::fs::write(&path, &bytes).unwrap();
        let hint = (frames[1].info.seq, frames[1].info.end);
        let (log, report) = CommitLog::open(&path, Some(hint)).unwrap();
        assert_eq!((log.last().unwrap().seq, report.torn_bytes), (3, 12));
    }
}
