#!/usr/bin/env bash
# Builds the Debian package of Altitude's daemon and fltmc (docs/install.md): dotnet publish of both, self-contained
# for linux-x64 into one directory (they share the runtime), laid out as /usr/lib/altitude with /usr/bin links, the
# systemd unit, the configuration directory /etc/altitude (conffiles) and maintainer scripts; then dpkg-deb.
# Usage: dist/deb/build-deb.sh [OUTPUT-DIRECTORY]   (default artifacts/deb). Prints the .deb's path last.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(mkdir -p "${1:-artifacts/deb}" && cd "${1:-artifacts/deb}" && pwd)
VERSION=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
ARCH=amd64
RID=linux-x64
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/altitude-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
ROOT="$STAGE/altitude_${VERSION}_${ARCH}"
LIB="$ROOT/usr/lib/altitude"

# Self-contained: the package needs no .NET runtime on the machine (Debian ships none for .NET 10), and the daemon
# runs on the runtime it was tested with. Filters built against the SDK (net10.0) load into it as they do anywhere.
for project in src/fltmgrd src/fltmc; do
  dotnet publish "$project" -c Release -r "$RID" --self-contained true -p:UseAppHost=true -o "$LIB" -v q -nologo >&2
done
rm -f "$LIB"/*.pdb   # the assemblies embed theirs

mkdir -p "$ROOT/usr/bin" "$ROOT/lib/systemd/system" "$ROOT/etc/altitude/filters.d" "$ROOT/etc/altitude/volumes.d" \
  "$ROOT/usr/share/doc/altitude" "$ROOT/DEBIAN"
ln -s ../lib/altitude/fltmgrd "$ROOT/usr/bin/fltmgrd"
ln -s ../lib/altitude/fltmc "$ROOT/usr/bin/fltmc"
sed 's#^ExecStart=.*#ExecStart=/usr/lib/altitude/fltmgrd --config /etc/altitude#; s#^\# systemd unit for fltmgrd.*#\# systemd unit for fltmgrd, from the altitude package (docs/install.md).#; /^\# to \/etc\/altitude/d' \
  dist/fltmgrd.service > "$ROOT/lib/systemd/system/fltmgrd.service"
cat > "$ROOT/etc/altitude/fltmgrd.json" <<'JSON'
{
  "RuntimeDirectory": "/run/altitude",
  "AdminGroup": "altitude",
  "PendingTimeoutSeconds": 60,
  "StopTimeoutSeconds": 30,
  "LogLevel": "Information"
}
JSON
cat > "$ROOT/etc/altitude/filters.d/passthrough.json" <<'JSON'
{
  "Name": "PassThrough",
  "Assembly": "/usr/lib/altitude/PassThrough.dll",
  "Class": "Altitude.Samples.PassThrough.PassThroughFilter",
  "StartType": "Demand",
  "DefaultInstance": "PassThrough Instance",
  "Instances": [
    { "Name": "PassThrough Instance", "Altitude": "370030", "Flags": 0 }
  ]
}
JSON
cat > "$ROOT/etc/altitude/volumes.d/README" <<'TEXT'
One volume per file, NAME.json, mounted at start in file-name order (docs/configuration.md in the Altitude
repository). For example /etc/altitude/volumes.d/data.json:

  { "Backing": "/srv/data", "MountPoint": "/mnt/data", "CreateDirectories": true }

Filter packages (their manifests) go in /etc/altitude/filters.d; `fltmc load NAME` loads one that is not Auto.
TEXT
cp LICENSE "$ROOT/usr/share/doc/altitude/copyright"
cp docs/install.md "$ROOT/usr/share/doc/altitude/install.md"

SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<CONTROL
Package: altitude
Version: $VERSION
Architecture: $ARCH
Maintainer: The Altitude authors <altitude@localhost>
Installed-Size: $SIZE
Depends: fuse3, libc6 (>= 2.31)
Section: admin
Priority: optional
Description: Windows Filter Manager programming model for Linux, over FUSE
 fltmgrd serves directories through FUSE pass-through mounts and runs minifilters (.NET assemblies with
 pre- and post-operation callbacks, contexts, names, filter I/O and communication ports) on every file
 operation; fltmc manages filters, instances and volumes. Self-contained: no .NET runtime needed.
CONTROL
printf '/etc/altitude/fltmgrd.json\n/etc/altitude/filters.d/passthrough.json\n/etc/altitude/volumes.d/README\n' > "$ROOT/DEBIAN/conffiles"
# Maintainer scripts honour DPKG_ROOT (an install into another root: dpkg --root with --force-script-chrootless).
cat > "$ROOT/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -z "${DPKG_ROOT:-}" ]; then
  # The admin group: members may connect to the control endpoint and to ports that admit BA (docs/control-endpoint.md).
  getent group altitude >/dev/null 2>&1 || addgroup --system altitude >/dev/null 2>&1 || groupadd --system altitude || true
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
    echo "altitude: configure volumes in /etc/altitude/volumes.d, then: systemctl enable --now fltmgrd"
  fi
fi
exit 0
SH
cat > "$ROOT/DEBIAN/prerm" <<'SH'
#!/bin/sh
set -e
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] && systemctl is-active --quiet fltmgrd 2>/dev/null; then
  systemctl stop fltmgrd || true   # unmounts every volume and unloads the filters
fi
exit 0
SH
cat > "$ROOT/DEBIAN/postrm" <<'SH'
#!/bin/sh
set -e
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
exit 0
SH
chmod 0755 "$ROOT/DEBIAN/postinst" "$ROOT/DEBIAN/prerm" "$ROOT/DEBIAN/postrm"
find "$ROOT" -path "$ROOT/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group --build "$ROOT" "$OUT/altitude_${VERSION}_${ARCH}.deb" >&2
echo "$OUT/altitude_${VERSION}_${ARCH}.deb"
