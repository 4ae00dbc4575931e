package cache

import "golang.org/x/sys/unix"

// Magic numbers of shared file systems that golang.org/x/sys/unix does
// not name (statfs(2) f_type).
const (
	lustreMagic = 0x0bd00bd0
	gpfsMagic   = 0x47504653
	beegfsMagic = 0x19830326
	smb2Magic   = 0xfe534d42
)

// networkFS reports whether dir is on a file system that other machines
// may share. There a lease's lines are flushed to the server before the
// cache-wide lock is released, because another machine's gc reads the
// server's copy; on a local file system every process reads the same page
// cache and the flush would cost milliseconds for nothing.
func networkFS(dir string) bool {
	var s unix.Statfs_t
	if unix.Statfs(dir, &s) != nil {
		return true // unknown: flush
	}
	switch uint32(s.Type) {
	case unix.NFS_SUPER_MAGIC, unix.SMB_SUPER_MAGIC, unix.CIFS_SUPER_MAGIC, smb2Magic,
		unix.CEPH_SUPER_MAGIC, unix.AFS_SUPER_MAGIC, unix.AFS_FS_MAGIC, unix.CODA_SUPER_MAGIC,
		unix.OCFS2_SUPER_MAGIC, unix.V9FS_MAGIC, unix.FUSE_SUPER_MAGIC,
		lustreMagic, gpfsMagic, beegfsMagic:
		return true
	}
	return false
}
