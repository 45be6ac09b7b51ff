"""FltLib for Altitude in pure Python: the user-mode side of fltmgrd's communication ports and its control endpoint.

Written from docs/port-protocol.md (frames, version 4) and docs/control-endpoint.md (management requests). A Port may be
used from several threads: each call waits for the answer with its own tag; one thread at a time reads the socket and
leaves the answers for the others where they find them.
"""
from __future__ import annotations

import os
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

__all__ = [
    "FilterException", "Port", "Message", "FilterInfo",
    "FilterConnectCommunicationPort", "FilterSendMessage", "FilterGetMessage", "FilterReplyMessage", "FilterClose",
    "FilterLoad", "FilterUnload", "FilterAttach", "FilterAttachAtAltitude", "FilterDetach", "filters", "port_socket_path",
    "S_OK", "E_ACCESSDENIED", "E_HANDLE", "E_INVALIDARG", "ERROR_FILE_NOT_FOUND", "ERROR_INSUFFICIENT_BUFFER",
    "ERROR_MORE_DATA", "ERROR_NO_MORE_ITEMS", "ERROR_FLT_NO_WAITER_FOR_REPLY", "ERROR_FLT_FILTER_NOT_FOUND",
]

S_OK = 0
E_INVALIDARG = 0x80070057
E_ACCESSDENIED = 0x80070005
E_HANDLE = 0x80070006
E_OUTOFMEMORY = 0x8007000E
E_FAIL = 0x80004005
ERROR_FILE_NOT_FOUND = 0x80070002
ERROR_TOO_MANY_OPEN_FILES = 0x80070004
ERROR_INSUFFICIENT_BUFFER = 0x8007007A
ERROR_MORE_DATA = 0x800700EA
ERROR_NO_MORE_ITEMS = 0x80070103
ERROR_FLT_NO_WAITER_FOR_REPLY = 0x801F0020
ERROR_FLT_FILTER_NOT_FOUND = 0x801F0013

_HEADER = struct.Struct("<BBHIQIiiI")   # kind, version, flags, tag, message id, value, status, hresult, handle offset
_HEADER_SIZE = 32
_VERSION = 4
_MAX_PAYLOAD = 65536
_RECORD = _HEADER_SIZE + _MAX_PAYLOAD + 1
_HELLO, _HELLO_RESULT, _GET, _MESSAGE, _GET_RESULT, _REPLY, _REPLY_RESULT, _SEND, _SEND_RESULT, _ERROR = 1, 2, 3, 4, 6, 7, 8, 9, 10, 12
_NO_WITHDRAWN, _HAS_HANDLE = 1, 2
_FILTER_MESSAGE_HEADER = 16


class FilterException(OSError):
    """A failed call; .hresult is the Windows HRESULT (an unsigned 32-bit value)."""

    def __init__(self, hresult: int, what: str):
        self.hresult = hresult & 0xFFFFFFFF
        super().__init__(f"{what} failed with error: 0x{self.hresult:08x}")


def _check(hresult: int, what: str) -> None:
    hresult &= 0xFFFFFFFF
    if hresult & 0x80000000:
        raise FilterException(hresult, what)


def _errno_hresult(e: OSError) -> int:
    import errno
    return {errno.EACCES: E_ACCESSDENIED, errno.EPERM: E_ACCESSDENIED, errno.ENOENT: ERROR_FILE_NOT_FOUND,
            errno.ECONNREFUSED: ERROR_FILE_NOT_FOUND, errno.EPIPE: E_HANDLE, errno.ECONNRESET: E_HANDLE}.get(e.errno or 0, E_FAIL)


def port_socket_path(port_name: str, port_directory: Optional[str] = None) -> str:
    """The socket of a port name (docs/port-protocol.md section 1): one leading backslash dropped, lower-cased,
    a-z 0-9 . _ - kept, every other UTF-8 byte %XX; the whole path at most 107 bytes."""
    name = port_name[1:] if port_name.startswith("\\") else port_name
    if not name or name in (".", "..") or len(name.encode("utf-16-le")) // 2 > 255:
        raise FilterException(E_INVALIDARG, "FilterConnectCommunicationPort")
    directory = port_directory or os.environ.get("ALTITUDE_PORT_DIRECTORY") or "/run/altitude/ports"
    out = []
    for b in name.lower().encode("utf-8"):
        c = chr(b)
        out.append(c if (c.isascii() and (c.isalnum() or c in "._-")) else f"%{b:02X}")
    path = os.path.join(directory, "".join(out))
    if len(path.encode()) > 107:
        raise FilterException(E_INVALIDARG, "FilterConnectCommunicationPort")
    return path


@dataclass
class _Frame:
    kind: int
    flags: int
    tag: int
    message_id: int
    value: int
    status: int
    hresult: int
    handle_offset: int
    payload: bytes
    fds: List[int]


@dataclass
class Message:
    """A message from FilterGetMessage: FILTER_MESSAGE_HEADER's fields, and the filter's bytes."""
    reply_length: int
    message_id: int
    payload: bytes

    def header_bytes(self) -> bytes:
        """The 16-byte FILTER_MESSAGE_HEADER, for code that wants the C layout."""
        return struct.pack("<IIQ", self.reply_length, 0, self.message_id)


class Port:
    """A connection to a communication port (or to the control endpoint). Close it, or use it in a with block."""

    def __init__(self, path: str, context: bytes = b""):
        if len(context) > 65535:
            raise FilterException(E_INVALIDARG, "FilterConnectCommunicationPort")
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._socket.connect(path)
        except OSError as e:
            self._socket.close()
            raise FilterException(_errno_hresult(e), "FilterConnectCommunicationPort") from None
        self._lock = threading.Condition()
        self._reading = False
        self._broken: Optional[int] = None
        self._stash: Dict[int, _Frame] = {}
        self._next_tag = 0
        self._replies: Dict[int, Tuple[int, bool]] = {}
        self._closed = False
        try:
            self._send(_HELLO, 0, 0, len(context), 0, context)
            frame = self._wait(0)
            if frame.kind != _HELLO_RESULT:
                raise FilterException(E_HANDLE, "FilterConnectCommunicationPort")
            _check(frame.hresult if frame.hresult or frame.status >= 0 else E_FAIL, "FilterConnectCommunicationPort")
        except FilterException:
            self.close()
            raise

    # ---- the transport ---------------------------------------------------------------------------------------

    def _send(self, kind: int, tag: int, message_id: int, value: int, status: int, payload: bytes = b"") -> None:
        record = _HEADER.pack(kind, _VERSION, 0, tag, message_id, value, status, 0, 0) + payload
        try:
            self._socket.send(record)   # one send is one record (SOCK_SEQPACKET)
        except OSError:
            raise FilterException(E_HANDLE, "send") from None

    def _read(self) -> Optional[_Frame]:
        while True:
            try:
                data, ancillary, _, _ = self._socket.recvmsg(_RECORD, socket.CMSG_SPACE(4 * 4), getattr(socket, "MSG_CMSG_CLOEXEC", 0))
            except InterruptedError:
                continue
            except ConnectionResetError:
                continue   # reported once, before the records still queued (docs/port-protocol.md section 4)
            except OSError:
                return None
            fds = [int.from_bytes(d[i:i + 4], "little") for level, kind, d in ancillary
                   if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS for i in range(0, len(d) - len(d) % 4, 4)]
            if not data or len(data) < _HEADER_SIZE or len(data) > _HEADER_SIZE + _MAX_PAYLOAD or data[1] != _VERSION:
                for fd in fds:
                    os.close(fd)
                return None
            fields = _HEADER.unpack_from(data)
            frame = _Frame(fields[0], fields[2], fields[3], fields[4], fields[5], fields[6], fields[7] & 0xFFFFFFFF, fields[8], data[_HEADER_SIZE:], fds)
            if not (frame.kind == _SEND_RESULT and frame.flags & _HAS_HANDLE):
                for fd in fds:   # a descriptor with any other frame is not ours to keep
                    os.close(fd)
                frame.fds = []
            return frame

    def _wait(self, tag: int) -> _Frame:
        with self._lock:
            while True:
                if tag in self._stash:
                    return self._stash.pop(tag)
                if self._broken is not None:
                    raise FilterException(self._broken, "wait")
                if self._reading:
                    self._lock.wait()
                    continue
                self._reading = True
                self._lock.release()
                try:
                    frame = self._read()
                finally:
                    self._lock.acquire()
                    self._reading = False
                if frame is None:
                    self._broken = E_HANDLE
                elif frame.kind == _ERROR:
                    self._broken = frame.hresult or E_HANDLE   # the server closes right after an Error frame
                else:
                    self._stash[frame.tag] = frame
                self._lock.notify_all()

    def _tag(self) -> int:
        with self._lock:
            self._next_tag = (self._next_tag + 1) & 0xFFFFFFFF or 1
            return self._next_tag

    # ---- FltLib ------------------------------------------------------------------------------------------------

    def send_message(self, data: bytes, output_size: int) -> bytes:
        """FilterSendMessage: the port's MessageNotify gets `data`; returns what it wrote (at most output_size bytes).
        A data-scan section comes back as a descriptor written at its HANDLE offset, as a little-endian int64."""
        if len(data) > _MAX_PAYLOAD or output_size < 0:
            raise FilterException(E_INVALIDARG, "FilterSendMessage")
        tag = self._tag()
        self._send(_SEND, tag, 0, min(output_size, _MAX_PAYLOAD), 0, bytes(data))
        frame = self._wait(tag)
        if frame.kind != _SEND_RESULT:
            raise FilterException(E_HANDLE, "FilterSendMessage")
        output = bytearray(frame.payload[:output_size])
        if frame.flags & _HAS_HANDLE:
            offset, fds = frame.handle_offset, frame.fds
            usable = len(fds) == 1 and offset + 8 <= len(output) and not frame.hresult & 0x80000000
            if offset + 8 <= len(output):
                output[offset:offset + 8] = struct.pack("<q", fds[0] if usable else -1)
            if not usable:
                for fd in fds:
                    os.close(fd)
                _check(frame.hresult, "FilterSendMessage")
                raise FilterException(ERROR_TOO_MANY_OPEN_FILES if not fds else E_HANDLE, "FilterSendMessage")
        _check(frame.hresult, "FilterSendMessage")
        return bytes(output)

    def get_message(self, buffer_size: int) -> Message:
        """FilterGetMessage with a buffer of buffer_size bytes (the 16-byte header included): blocks until a message comes."""
        if buffer_size < _FILTER_MESSAGE_HEADER:
            raise FilterException(E_INVALIDARG, "FilterGetMessage")
        tag = self._tag()
        self._send(_GET, tag, 0, buffer_size, 0)
        frame = self._wait(tag)
        if frame.kind == _GET_RESULT:
            _check(frame.hresult or E_FAIL, "FilterGetMessage")
        if frame.kind != _MESSAGE:
            raise FilterException(E_HANDLE, "FilterGetMessage")
        if frame.value:
            with self._lock:   # remembered until replied: a reply to anything else fails here, as FilterLib's does
                self._replies[frame.message_id] = (frame.value, bool(frame.flags & _NO_WITHDRAWN))
        return Message(frame.value, frame.message_id, frame.payload)

    def reply_message(self, message_id: int, data: bytes, status: int = 0) -> None:
        """FilterReplyMessage: FILTER_REPLY_HEADER {status, message_id} and `data`."""
        if len(data) > _MAX_PAYLOAD:
            raise FilterException(E_INVALIDARG, "FilterReplyMessage")
        with self._lock:
            pending = self._replies.pop(message_id, None)
        if pending is None:
            raise FilterException(ERROR_FLT_NO_WAITER_FOR_REPLY, "FilterReplyMessage")
        reply_length, no_withdrawn = pending
        if no_withdrawn:
            # The sender cannot have given up: no answer is asked for (tag 0), and the outcome is known here.
            self._send(_REPLY, 0, message_id, len(data), status, bytes(data))
            if len(data) > reply_length - 16:
                raise FilterException(ERROR_MORE_DATA, "FilterReplyMessage")
            return
        tag = self._tag()
        self._send(_REPLY, tag, message_id, len(data), status, bytes(data))
        frame = self._wait(tag)
        _check(frame.hresult if frame.kind == _REPLY_RESULT else E_HANDLE, "FilterReplyMessage")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._socket.close()
        for frame in self._stash.values():
            for fd in frame.fds:
                os.close(fd)
        self._stash.clear()

    def __enter__(self) -> "Port":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def FilterConnectCommunicationPort(port_name: str, options: int = 0, context: bytes = b"", port_directory: Optional[str] = None) -> Port:
    """Connects to a minifilter's port (`\\ScannerPort`); the connection context goes to its ConnectNotify."""
    return Port(port_socket_path(port_name, port_directory), bytes(context))


def FilterSendMessage(port: Port, data: bytes, output_size: int) -> bytes:
    return port.send_message(data, output_size)


def FilterGetMessage(port: Port, buffer_size: int) -> Message:
    return port.get_message(buffer_size)


def FilterReplyMessage(port: Port, message_id: int, data: bytes, status: int = 0) -> None:
    port.reply_message(message_id, data, status)


def FilterClose(port: Port) -> None:
    port.close()


# ---- management (docs/control-endpoint.md) -------------------------------------------------------------------

_LOAD, _UNLOAD, _ATTACH, _ATTACH_AT_ALTITUDE, _DETACH, _FIND_FIRST, _FIND_NEXT, _FIND_CLOSE = 1, 2, 7, 8, 9, 10, 11, 12


def _control(control_socket: Optional[str]) -> Port:
    return Port(control_socket or os.environ.get("ALTITUDE_CONTROL_SOCKET") or "/run/altitude/control")


def _request(operation: int, *strings: Optional[str], information_class: int = 0, argument: int = 0) -> bytes:
    out = bytearray(struct.pack("<III", operation, information_class, argument))
    for s in strings:
        if s is None:
            out += struct.pack("<H", 0xFFFF)   # absent (an optional argument)
        else:
            encoded = s.encode("utf-16-le")
            out += struct.pack("<H", len(encoded)) + encoded
    return bytes(out)


def _call(port: Port, request: bytes, what: str) -> Tuple[int, bytes]:
    reply = port.send_message(request, _MAX_PAYLOAD)
    if len(reply) < 8:
        raise FilterException(E_HANDLE, what)
    hresult, value = struct.unpack_from("<iI", reply)
    _check(hresult, what)
    return value, reply[8:]


def _once(request: bytes, what: str, control_socket: Optional[str]) -> Tuple[int, bytes]:
    with _control(control_socket) as port:
        return _call(port, request, what)


def FilterLoad(name: str, control_socket: Optional[str] = None) -> None:
    _once(_request(_LOAD, name), "Load", control_socket)


def FilterUnload(name: str, control_socket: Optional[str] = None) -> None:
    _once(_request(_UNLOAD, name), "Unload", control_socket)


def FilterAttach(name: str, volume: str, instance: Optional[str] = None, control_socket: Optional[str] = None) -> str:
    """Returns the created instance's name."""
    return _once(_request(_ATTACH, name, volume, instance), "Attach", control_socket)[1].decode("utf-16-le")


def FilterAttachAtAltitude(name: str, volume: str, altitude: str, instance: Optional[str] = None, control_socket: Optional[str] = None) -> str:
    return _once(_request(_ATTACH_AT_ALTITUDE, name, volume, altitude, instance), "Attach", control_socket)[1].decode("utf-16-le")


def FilterDetach(name: str, volume: str, instance: Optional[str] = None, control_socket: Optional[str] = None) -> None:
    _once(_request(_DETACH, name, volume, instance), "Detach", control_socket)


@dataclass
class FilterInfo:
    """FILTER_AGGREGATE_BASIC_INFORMATION of a minifilter."""
    name: str
    altitude: str
    instances: int


def filters(control_socket: Optional[str] = None) -> List[FilterInfo]:
    """FilterFindFirst/FindNext/FindClose over the loaded filters (class 1), highest altitude first."""
    found: List[FilterInfo] = []
    with _control(control_socket) as port:
        try:
            enumeration, entry = _call(port, _request(_FIND_FIRST, information_class=1, argument=1), "Filter listing")
        except FilterException as e:
            if e.hresult == ERROR_NO_MORE_ITEMS:
                return found
            raise
        try:
            while True:
                found.append(_aggregate_basic(entry))
                try:
                    _, entry = _call(port, _request(_FIND_NEXT, information_class=1, argument=enumeration), "Filter listing")
                except FilterException as e:
                    if e.hresult == ERROR_NO_MORE_ITEMS:
                        return found
                    raise
        finally:
            _call(port, _request(_FIND_CLOSE, argument=enumeration), "Filter listing")


def _aggregate_basic(entry: bytes) -> FilterInfo:
    instances, name_length, name_offset, altitude_length, altitude_offset = struct.unpack_from("<IHHHH", entry, 12)
    return FilterInfo(entry[name_offset:name_offset + name_length].decode("utf-16-le"),
                      entry[altitude_offset:altitude_offset + altitude_length].decode("utf-16-le"), instances)
