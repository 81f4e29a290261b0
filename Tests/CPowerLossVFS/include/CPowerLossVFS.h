#ifndef SPOOL_CPOWERLOSSVFS_H
#define SPOOL_CPOWERLOSSVFS_H

// A SQLite VFS for power-loss tests: it wraps the "unix" VFS and keeps, for every database, WAL and journal file it
// opens, the image that file would have after a power cut: its content as of the last xSync that covered each write.
// A cut freezes those images (every later write, truncate, sync or delete fails, as on a machine that lost power);
// restoring then writes the images over the real files, so a fresh connection sees what a reboot would.

typedef struct spool_powerloss_vfs spool_powerloss_vfs;

// Registers a new VFS named `name` (not the default). NULL when the name is taken or memory runs out.
spool_powerloss_vfs *spool_powerloss_vfs_create(const char *name);

// The power cut: from now on the files' durable images no longer change.
void spool_powerloss_vfs_cut(spool_powerloss_vfs *vfs);

// After every connection through this VFS is closed: writes each file's durable image over the real file (removing a
// file no sync ever made exist, and the -shm index a reboot would not keep). Returns 0, or an errno value.
int spool_powerloss_vfs_restore(spool_powerloss_vfs *vfs);

// Successful xSync calls so far.
long spool_powerloss_vfs_sync_count(spool_powerloss_vfs *vfs);

// Unregisters and frees the VFS; only once no connection uses it.
void spool_powerloss_vfs_destroy(spool_powerloss_vfs *vfs);

#endif
