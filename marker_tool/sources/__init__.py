"""Archive readers that never extract: each yields a package's entries and its markers' bytes.

A reader opens one built package or tree and returns a `Package`: every
entry's metadata (path inside the package, kind, mode, owner, size, link
target), the package's own file list when it has one (a .deb's `md5sums`),
and the content of the entries named `EXTERNALLY-MANAGED`, read as the
stream passes them. Nothing is written to disk; memory stays bounded by the
caps in `Limits`, each with a default and a command-line flag.

- `deb`: ar archive, control and data members in gzip, xz, bzip2, zstd or none;
- `rpm`: lead, signature and header (the file list), cpio payload in any compression;
- `tarpkg`: Arch `.pkg.tar.*` (`.PKGINFO`, `.MTREE`) and Alpine `.apk` (gzip streams);
- `image`: an OCI image layout or a `docker save` tarball, layers applied in order;
- `directory`: a staging tree, DESTDIR, a chroot or an unpacked image root.

`base` holds what they share; `compression` bounds every decompressor;
`tarstream` is the one tar pass. `detect.read(path)` picks the reader from
the file's first bytes, not its name.
"""
