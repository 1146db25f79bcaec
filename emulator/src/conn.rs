//! The emulator's TCP connections, each with a switch a handler can pull to reset it
//! (the `token_reset` fault): the answer is then never sent, and the peer gets a TCP
//! RST instead.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A [`TcpListener`] whose connections are [`Conn`]s.
pub struct Listener(pub TcpListener);

impl axum::serve::Listener for Listener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.0).await;
        let conn = Conn {
            stream,
            reset: Arc::new(AtomicBool::new(false)),
        };
        (conn, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A TCP connection that fails every write once [`ResetHandle::reset`] was called.
pub struct Conn {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Conn {
    /// `Some(error)` once reset: the socket then closes with an RST (zero linger)
    /// when hyper drops it on that error, without a byte of the answer sent.
    fn reset_error(&self) -> Option<io::Error> {
        if !self.reset.load(Ordering::Acquire) {
            return None;
        }
        // If this fails the close is a FIN instead: still no answer.
        let _ = self.stream.set_zero_linger();
        Some(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection reset by the token_reset fault",
        ))
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.reset_error() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.reset_error() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.reset_error() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.reset_error() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The reset switch of the connection a request came on, as the request extension
/// `ConnectInfo<ResetHandle>`.
#[derive(Clone)]
pub struct ResetHandle(Arc<AtomicBool>);

impl ResetHandle {
    /// Nothing more is written on the connection: the answer in the making is dropped
    /// and the connection is reset.
    pub fn reset(&self) {
        self.0.store(true, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, Listener>> for ResetHandle {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Self {
        ResetHandle(Arc::clone(&stream.io().reset))
    }
}
