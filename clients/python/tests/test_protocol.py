"""What needs no daemon: port names to sockets (the examples of docs/port-protocol.md section 1), refusals of bad
arguments before anything is sent, and the HRESULT of a port nobody listens on."""
import os
import tempfile

import pytest

import altitude_fltlib as flt


def test_port_names_map_to_the_documented_socket_paths():
    assert flt.port_socket_path(r"\ScannerPort", "/run/altitude/ports") == "/run/altitude/ports/scannerport"
    assert flt.port_socket_path(r"\MiniSpyPort", "/run/altitude/ports") == "/run/altitude/ports/minispyport"
    assert flt.port_socket_path("\\My Port/\u00fc", "/run/altitude/ports") == "/run/altitude/ports/my%20port%2F%C3%BC"
    assert flt.port_socket_path(r"\SCANNERPORT", "/d") == flt.port_socket_path(r"\scannerport", "/d")


@pytest.mark.parametrize("name", ["\\", "", ".", "..", "\\" + "x" * 256, "\\" + "y" * 200])
def test_invalid_port_names_are_refused_with_e_invalidarg(name):
    with pytest.raises(flt.FilterException) as e:
        flt.FilterConnectCommunicationPort(name, port_directory="/run/altitude/ports")
    assert e.value.hresult == flt.E_INVALIDARG


def test_a_port_nobody_listens_on_is_file_not_found():
    with tempfile.TemporaryDirectory() as directory:
        with pytest.raises(flt.FilterException) as e:
            flt.FilterConnectCommunicationPort(r"\NoSuchPort", port_directory=directory)
        assert e.value.hresult == flt.ERROR_FILE_NOT_FOUND
        assert "0x80070002" in str(e.value)


def test_the_installed_package_is_the_one_under_test():
    # Run through pip install (ClientTests.cs): the tests must exercise what pip installed, not the source tree.
    if os.environ.get("ALTITUDE_TEST_INSTALLED") == "1":
        assert "site-packages" in flt.__file__
