#!/bin/sh
# Vendor the KERN UX design system (@kern-ux/native, EUPL-1.2) into static/vendor/kern/:
# the minified CSS, the Fira Sans font files its font sheet references, and the licence.
# Usage: scripts/update-kern.sh [VERSION]   (default: latest). Needs npm; running the app does not.
set -eu
version="${1:-latest}"
dest="$(cd "$(dirname "$0")/.." && pwd)/static/vendor/kern"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@kern-ux/native@$version" >/dev/null && tar xzf kern-ux-native-*.tgz)
pkg="$work/package"
version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json")"
rm -rf "$dest" && mkdir -p "$dest/fonts/fira-sans"
cp "$pkg/dist/kern.min.css" "$pkg/LICENSE.md" "$dest/"
cp "$pkg/dist/fonts/fira-sans.css" "$dest/fonts/"
for font in $(grep -o 'fira-sans/[A-Za-z-]*\.woff2' "$pkg/dist/fonts/fira-sans.css" | sort -u); do
  cp "$pkg/dist/fonts/$font" "$dest/fonts/$font"
done
# The font licence, with the copyright line the font files carry (KERN's package has no OFL text).
(cd "$work" && npm pack --silent @fontsource/fira-sans >/dev/null && mkdir fontsource && tar xzf fontsource-fira-sans-*.tgz -C fontsource)
{ echo "Digitized data copyright © 2012-2015, The Mozilla Foundation and Telefonica S.A."; tail -n +2 "$work/fontsource/package/LICENSE"; } > "$dest/fonts/fira-sans/OFL.txt"
cat > "$dest/README.md" <<README
KERN UX design system, @kern-ux/native $version (EUPL-1.2, see LICENSE.md), from https://www.npmjs.com/package/@kern-ux/native (source: https://gitlab.opencode.de/kern-ux/kern-ux-plain); fonts: Fira Sans (SIL Open Font License 1.1, see fonts/fira-sans/OFL.txt; also used in the plaque and signet). Updated with scripts/update-kern.sh; do not edit by hand.
README
echo "KERN UX $version vendored into $dest"
