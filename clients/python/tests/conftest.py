"""Where the daemon under test is: the test that starts fltmgrd (tests/Altitude.Samples.Tests/ClientTests.cs) sets
ALTITUDE_TEST_MOUNT and ALTITUDE_TEST_BACKING, and the port directory and control socket the library reads. Without
them the tests that need a daemon are skipped, except with CI=true, where that is a failure."""
import os

import pytest


@pytest.fixture
def daemon():
    mount = os.environ.get("ALTITUDE_TEST_MOUNT")
    if not mount:
        if os.environ.get("CI") == "true":
            pytest.fail("ALTITUDE_TEST_MOUNT is not set: run these through the .NET test that starts fltmgrd")
        pytest.skip("needs a running fltmgrd with the Scanner package (ALTITUDE_TEST_MOUNT, ALTITUDE_TEST_BACKING)")
    return mount, os.environ["ALTITUDE_TEST_BACKING"]
