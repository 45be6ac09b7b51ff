"""The library against a real fltmgrd serving a mount with the Scanner sample: this test is the scanner (it answers
the filter's messages from a thread), while cat, another process, opens files on the mount (the Scanner filter never
scans the opens of the process connected to its port, as the WDK sample trusts its scanner); then the management calls."""
import os
import subprocess
import threading

import pytest

import altitude_fltlib as flt

MESSAGE_SIZE = 16 + 8 + 1024   # FILTER_MESSAGE_HEADER + SCANNER_NOTIFICATION


def scanner(port, verdicts, errors):
    while True:
        try:
            message = port.get_message(MESSAGE_SIZE)
        except flt.FilterException as e:
            errors.append(e.hresult)
            return
        size = int.from_bytes(message.payload[:4], "little")
        found = b"foul" in message.payload[8:8 + size]
        verdicts.append(found)
        port.reply_message(message.message_id, bytes([0 if found else 1]))   # SCANNER_REPLY {SafeToOpen}


def test_the_scanner_port_decides_opens_on_the_mount(daemon):
    mount, backing = daemon
    with open(os.path.join(backing, "clean.txt"), "w") as f:
        f.write("all clean\n")
    with open(os.path.join(backing, "dirty.txt"), "w") as f:
        f.write("something foul here\n")
    port = flt.FilterConnectCommunicationPort(r"\ScannerPort")
    verdicts, errors = [], []
    thread = threading.Thread(target=scanner, args=(port, verdicts, errors), daemon=True)
    thread.start()
    try:
        clean = subprocess.run(["cat", os.path.join(mount, "clean.txt")], capture_output=True, text=True)
        assert clean.returncode == 0 and clean.stdout == "all clean\n"
        dirty = subprocess.run(["cat", os.path.join(mount, "dirty.txt")], capture_output=True, text=True)
        assert dirty.returncode == 1 and "Permission denied" in dirty.stderr
        assert verdicts == [False, True]
        # The process connected to the port is trusted: its own opens are not scanned.
        with open(os.path.join(mount, "dirty.txt")) as f:
            assert "foul" in f.read()
        assert verdicts == [False, True]
        # MaxConnections is 1: a second scanner is refused with ERROR_CONNECTION_COUNT_LIMIT.
        with pytest.raises(flt.FilterException) as e:
            flt.FilterConnectCommunicationPort(r"\ScannerPort")
        assert e.value.hresult == 0x800704D6
        # A reply to a message this connection never got fails here, before anything is sent.
        with pytest.raises(flt.FilterException) as e:
            port.reply_message(123456789, b"\x01")
        assert e.value.hresult == flt.ERROR_FLT_NO_WAITER_FOR_REPLY
        with pytest.raises(flt.FilterException) as e:
            port.get_message(4)
        assert e.value.hresult == flt.E_INVALIDARG
    finally:
        # The filter unloads: its port closes, and the get the scanner thread waits in fails with E_HANDLE.
        flt.FilterUnload("Scanner")
        thread.join(60)
        port.close()
    assert not thread.is_alive()
    assert errors == [flt.E_HANDLE]


def test_management_lists_loads_and_unloads_filters(daemon):
    names = [f.name for f in flt.filters()]
    if "Scanner" not in names:
        flt.FilterLoad("Scanner")
    scanner = [f for f in flt.filters() if f.name == "Scanner"]
    assert scanner and scanner[0].altitude == "265000" and scanner[0].instances == 1
    with pytest.raises(flt.FilterException) as e:
        flt.FilterLoad("Scanner")
    assert e.value.hresult == 0x80070420   # ERROR_SERVICE_ALREADY_RUNNING
    flt.FilterUnload("Scanner")
    assert "Scanner" not in [f.name for f in flt.filters()]
    with pytest.raises(flt.FilterException) as e:
        flt.FilterUnload("Scanner")
    assert e.value.hresult == flt.ERROR_FLT_FILTER_NOT_FOUND
    with pytest.raises(flt.FilterException) as e:
        flt.FilterLoad("NoSuchFilter")
    assert e.value.hresult == flt.ERROR_FILE_NOT_FOUND
    flt.FilterLoad("Scanner")
    assert "Scanner" in [f.name for f in flt.filters()]
