//! Opening input files: only regular files are read (a FIFO, device or directory is an
//! error naming the path, never a blocking open or an endless read), and compressed
//! files are recognised by their magic bytes and decompressed while streaming.

use crate::error::{BarterStatus, FfiError, FfiResult};
use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// gzip (RFC 1952) and zstd frame magic numbers.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How an input file is compressed.
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// An opened input: a reader over the (decompressed) bytes.
pub struct Input {
    pub reader: Box<dyn Read + Send>,
    /// Size of the file on disk.
    pub file_size: u64,
    pub compression: Compression,
    pub path: String,
    /// Bytes of the file read so far (compressed bytes for a compressed file).
    pub file_bytes_read: Arc<AtomicU64>,
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Input {
    /// Turns a read error into an `FfiError`: a decompression error is bad input
    /// (`InvalidInput`), anything else an I/O error.
    pub fn read_error(&self, error: &io::Error) -> FfiError {
        match self.compression {
            Compression::None => FfiError::io(&self.path, error),
            c => FfiError::invalid(format!("{}: corrupt or truncated {} data: {error}", self.path, c.name())),
        }
    }
}

/// Opens `path` for reading if it is a regular file. The open itself cannot block (a
/// FIFO without a writer would block a plain `open`): it is non-blocking, and the type is
/// checked on the opened descriptor before anything is read.
pub fn open_regular(path: &str) -> FfiResult<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| FfiError::io(path, &e))?;
    let metadata = file.metadata().map_err(|e| FfiError::io(path, &e))?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::FileTypeExt;
                if kind.is_fifo() {
                    "a FIFO"
                } else if kind.is_char_device() || kind.is_block_device() {
                    "a device"
                } else if kind.is_socket() {
                    "a socket"
                } else {
                    "not a regular file"
                }
            }
            #[cfg(not(unix))]
            {
                "not a regular file"
            }
        };
        return Err(FfiError::new(
            BarterStatus::Io,
            format!("{path}: is {what}; only regular files are read"),
        ));
    }
    #[cfg(unix)]
    {
        // Back to blocking reads (no effect on regular files, but keep the usual mode).
        use std::os::unix::io::AsRawFd;
        let fd = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor this function owns.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    Ok((file, metadata.len()))
}

/// Physical memory of this machine in bytes, if known.
pub fn physical_memory() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no preconditions.
        let (pages, page) =
            unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
        if pages > 0 && page > 0 {
            return Some(pages as u64 * page as u64);
        }
    }
    None
}

/// Reads up to `buf.len()` bytes, fewer only at the end of the input.
pub fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Opens a market data file, plain or compressed (by magic bytes, whatever the suffix).
pub fn open_input(path: &str) -> FfiResult<Input> {
    let (mut file, file_size) = open_regular(path)?;
    let mut magic = [0u8; 4];
    let got = read_full(&mut file, &mut magic).map_err(|e| FfiError::io(path, &e))?;
    let head = io::Cursor::new(magic[..got].to_vec());
    let compression = if got >= 4 && magic == ZSTD_MAGIC {
        Compression::Zstd
    } else if got >= 2 && magic[..2] == GZIP_MAGIC {
        Compression::Gzip
    } else {
        Compression::None
    };
    let file_bytes_read = Arc::new(AtomicU64::new(0));
    let raw = Counting { inner: head.chain(file), count: Arc::clone(&file_bytes_read) };
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => {
            Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 16, raw)))
        }
        Compression::Zstd => {
            let start = |e: io::Error| FfiError::invalid(format!("{path}: cannot start zstd decoding: {e}"));
            let mut decoder =
                zstd::stream::read::Decoder::with_buffer(io::BufReader::with_capacity(1 << 17, raw))
                    .map_err(start)?;
            // Accept frames written with `--long` (windows up to 2 GiB).
            decoder.window_log_max(31).map_err(start)?;
            Box::new(decoder)
        }
    };
    Ok(Input { reader, file_size, compression, path: path.to_owned(), file_bytes_read })
}
