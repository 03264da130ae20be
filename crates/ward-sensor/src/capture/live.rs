//! Live capture from a Linux interface through an `AF_PACKET` raw socket.
//!
//! The only module of Ward with `unsafe`: four libc calls, each with its `SAFETY` line. It needs
//! `CAP_NET_RAW`; without it, [`LiveCapture::open`] returns [`LiveError::PermissionDenied`] with
//! a message saying exactly that, and the CLI exits non-zero.
#![allow(unsafe_code)] // reason: raw sockets have no safe std API; the calls are confined here.

use super::LinkType;
use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use ward_model::Timestamp;

/// Why live capture could not start or continue.
#[derive(Debug)]
#[non_exhaustive]
pub enum LiveError {
    /// The process lacks `CAP_NET_RAW`.
    PermissionDenied {
        /// Interface asked for.
        interface: String,
    },
    /// No interface by that name.
    NoSuchInterface {
        /// Interface asked for.
        interface: String,
    },
    /// Any other system error.
    Os {
        /// What was being done.
        doing: &'static str,
        /// The error.
        error: io::Error,
    },
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::PermissionDenied { interface } => write!(
                f,
                "permission denied capturing on {interface}: live capture needs the CAP_NET_RAW capability \
                 (run as root, or grant it once with `setcap cap_net_raw=eip $(command -v ward)`)"
            ),
            LiveError::NoSuchInterface { interface } => write!(f, "no network interface named {interface:?}"),
            LiveError::Os { doing, error } => write!(f, "{doing}: {error}"),
        }
    }
}

impl std::error::Error for LiveError {}

/// An open capture on one interface, all protocols, promiscuous.
#[derive(Debug)]
pub struct LiveCapture {
    fd: OwnedFd,
    buf: Vec<u8>,
    /// The interface name.
    pub interface: String,
}

/// A packet received live: owned timestamp and link type, bytes borrowed from the capture.
#[derive(Debug)]
pub struct LivePacket<'a> {
    /// Receive time.
    pub ts: Timestamp,
    /// Link type of the interface.
    pub link: LinkType,
    /// Bytes received (whole frame up to 64 KiB).
    pub data: &'a [u8],
}

const ETH_P_ALL: u16 = 0x0003;

impl LiveCapture {
    /// Open `interface` for capture; `poll` bounds how long [`LiveCapture::next_packet`] waits.
    pub fn open(interface: &str, poll: Duration) -> Result<LiveCapture, LiveError> {
        let name = CString::new(interface).map_err(|_| LiveError::NoSuchInterface { interface: interface.into() })?;
        // SAFETY: `name` is a valid NUL-terminated string for the duration of the call.
        let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if index == 0 {
            return Err(LiveError::NoSuchInterface { interface: interface.into() });
        }
        // SAFETY: plain syscall with constant arguments; the result is checked below.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, i32::from(ETH_P_ALL.to_be())) };
        if raw < 0 {
            let error = io::Error::last_os_error();
            return Err(match error.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => LiveError::PermissionDenied { interface: interface.into() },
                _ => LiveError::Os { doing: "opening a packet socket", error },
            });
        }
        // SAFETY: `raw` is a freshly created, valid descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid starting value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = ETH_P_ALL.to_be();
        addr.sll_ifindex = index as i32;
        check(
            // SAFETY: `addr` is a valid sockaddr_ll and the length passed is its size.
            unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    (&raw const addr).cast::<libc::sockaddr>(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                )
            },
            "binding the packet socket to the interface",
        )?;
        let mreq = libc::packet_mreq {
            mr_ifindex: index as i32,
            mr_type: libc::PACKET_MR_PROMISC as u16,
            mr_alen: 0,
            mr_address: [0; 8],
        };
        // SAFETY: option value points to a valid packet_mreq of the stated size.
        check(unsafe { setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &mreq) }, "enabling promiscuous mode")?;
        let tv = libc::timeval { tv_sec: poll.as_secs() as libc::time_t, tv_usec: poll.subsec_micros() as libc::suseconds_t };
        // SAFETY: option value points to a valid timeval of the stated size.
        check(unsafe { setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv) }, "setting the receive timeout")?;
        Ok(LiveCapture { fd, buf: vec![0; 65_536 + 64], interface: interface.into() })
    }

    /// The next frame, or `Ok(None)` when the poll interval passed without one.
    pub fn next_packet(&mut self) -> Result<Option<LivePacket<'_>>, LiveError> {
        // SAFETY: sockaddr_ll is plain old data; all-zero is valid.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut from_len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: the buffer pointer and length describe `self.buf`, which outlives the call;
        // `from`/`from_len` describe a valid sockaddr_ll.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                self.buf.as_mut_ptr().cast(),
                self.buf.len(),
                libc::MSG_TRUNC,
                (&raw mut from).cast::<libc::sockaddr>(),
                &raw mut from_len,
            )
        };
        if n < 0 {
            let error = io::Error::last_os_error();
            return match error.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(LiveError::Os { doing: "receiving a packet", error }),
            };
        }
        let len = (n as usize).min(self.buf.len());
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let link = match from.sll_hatype {
            // ARPHRD_NONE (tun) and ARPHRD_RAWIP carry bare IP packets.
            0xfffe | 519 => LinkType::RAW,
            _ => LinkType::ETHERNET,
        };
        Ok(Some(LivePacket {
            ts: Timestamp::from_parts(now.as_secs(), u64::from(now.subsec_nanos())),
            link,
            data: &self.buf[..len],
        }))
    }
}

/// # Safety
/// `T` must be the type the kernel expects for `level`/`name`.
unsafe fn setsockopt<T>(fd: &OwnedFd, level: i32, name: i32, value: &T) -> i32 {
    // SAFETY: the caller guarantees `T` matches the option; the pointer and size describe `value`.
    unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, (value as *const T).cast(), std::mem::size_of::<T>() as u32) }
}

fn check(rc: i32, doing: &'static str) -> Result<(), LiveError> {
    if rc < 0 { Err(LiveError::Os { doing, error: io::Error::last_os_error() }) } else { Ok(()) }
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Make SIGINT and SIGTERM set a flag instead of killing the process, so a live capture can
/// stop cleanly and still write its report. Returns the flag.
pub fn stop_on_interrupt() -> &'static std::sync::atomic::AtomicBool {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
    &INTERRUPTED
}
