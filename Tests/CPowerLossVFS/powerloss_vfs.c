#include "CPowerLossVFS.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// One write or truncate not yet covered by a sync.
typedef struct Pending {
    struct Pending *next;
    sqlite3_int64 offset;  // the write's offset, or the new size of a truncate
    int length;            // -1 for a truncate
    unsigned char bytes[];
} Pending;

// What a file would hold after a power cut, and what was done to it since its last sync (oldest first).
typedef struct Image {
    struct Image *next;
    char *path;
    int exists;
    unsigned char *data;
    sqlite3_int64 size;
    Pending *pending;
    Pending **pendingTail;
} Image;

struct spool_powerloss_vfs {
    sqlite3_vfs base;
    sqlite3_vfs *real;
    pthread_mutex_t mutex;
    Image *images;
    int cut;
    long syncs;
    char name[64];
};

typedef struct PowerLossFile {
    sqlite3_file base;
    spool_powerloss_vfs *vfs;
    Image *image;  // NULL for files a power cut does not concern (temporary files)
    sqlite3_file *real;
} PowerLossFile;

#define REAL(file) (((PowerLossFile *)(file))->real)

static int grow(Image *image, sqlite3_int64 size) {
    if (size <= image->size) return 0;
    unsigned char *data = realloc(image->data, (size_t)size);
    if (!data) return -1;
    memset(data + image->size, 0, (size_t)(size - image->size));
    image->data = data;
    image->size = size;
    return 0;
}

static void dropPending(Image *image) {
    Pending *op = image->pending;
    while (op) {
        Pending *next = op->next;
        free(op);
        op = next;
    }
    image->pending = NULL;
    image->pendingTail = &image->pending;
}

// A sync: every write and truncate so far reaches the durable image, in order.
static int applyPending(Image *image) {
    for (Pending *op = image->pending; op; op = op->next) {
        if (op->length < 0) {
            if (op->offset < image->size) image->size = op->offset;
        } else {
            if (grow(image, op->offset + op->length) != 0) return -1;
            memcpy(image->data + op->offset, op->bytes, (size_t)op->length);
        }
    }
    image->exists = 1;
    dropPending(image);
    return 0;
}

static int record(spool_powerloss_vfs *vfs, Image *image, sqlite3_int64 offset, const void *bytes, int length) {
    Pending *op = malloc(sizeof(Pending) + (length > 0 ? (size_t)length : 0));
    if (!op) return SQLITE_NOMEM;
    op->next = NULL;
    op->offset = offset;
    op->length = length;
    if (length > 0) memcpy(op->bytes, bytes, (size_t)length);
    *image->pendingTail = op;
    image->pendingTail = &op->next;
    (void)vfs;
    return SQLITE_OK;
}

// MARK: File methods

static int plClose(sqlite3_file *file) {
    int rc = REAL(file)->pMethods ? REAL(file)->pMethods->xClose(REAL(file)) : SQLITE_OK;
    file->pMethods = NULL;
    return rc;
}

static int plRead(sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset) {
    return REAL(file)->pMethods->xRead(REAL(file), buffer, amount, offset);
}

static int plWrite(sqlite3_file *file, const void *buffer, int amount, sqlite3_int64 offset) {
    PowerLossFile *f = (PowerLossFile *)file;
    if (!f->image) return REAL(file)->pMethods->xWrite(REAL(file), buffer, amount, offset);
    pthread_mutex_lock(&f->vfs->mutex);
    int rc = SQLITE_IOERR_WRITE;
    if (!f->vfs->cut) {
        rc = REAL(file)->pMethods->xWrite(REAL(file), buffer, amount, offset);
        if (rc == SQLITE_OK) rc = record(f->vfs, f->image, offset, buffer, amount);
    }
    pthread_mutex_unlock(&f->vfs->mutex);
    return rc;
}

static int plTruncate(sqlite3_file *file, sqlite3_int64 size) {
    PowerLossFile *f = (PowerLossFile *)file;
    if (!f->image) return REAL(file)->pMethods->xTruncate(REAL(file), size);
    pthread_mutex_lock(&f->vfs->mutex);
    int rc = SQLITE_IOERR_TRUNCATE;
    if (!f->vfs->cut) {
        rc = REAL(file)->pMethods->xTruncate(REAL(file), size);
        if (rc == SQLITE_OK) rc = record(f->vfs, f->image, size, NULL, -1);
    }
    pthread_mutex_unlock(&f->vfs->mutex);
    return rc;
}

static int plSync(sqlite3_file *file, int flags) {
    PowerLossFile *f = (PowerLossFile *)file;
    int rc = REAL(file)->pMethods->xSync(REAL(file), flags);
    if (rc != SQLITE_OK) return rc;
    pthread_mutex_lock(&f->vfs->mutex);
    if (f->vfs->cut) {
        rc = SQLITE_IOERR_FSYNC;
    } else {
        if (f->image && applyPending(f->image) != 0) rc = SQLITE_NOMEM;
        f->vfs->syncs += 1;
    }
    pthread_mutex_unlock(&f->vfs->mutex);
    return rc;
}

static int plFileSize(sqlite3_file *file, sqlite3_int64 *size) { return REAL(file)->pMethods->xFileSize(REAL(file), size); }
static int plLock(sqlite3_file *file, int lock) { return REAL(file)->pMethods->xLock(REAL(file), lock); }
static int plUnlock(sqlite3_file *file, int lock) { return REAL(file)->pMethods->xUnlock(REAL(file), lock); }
static int plCheckReservedLock(sqlite3_file *file, int *out) { return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out); }
static int plSectorSize(sqlite3_file *file) { return REAL(file)->pMethods->xSectorSize(REAL(file)); }
static int plDeviceCharacteristics(sqlite3_file *file) { return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file)); }
static int plShmMap(sqlite3_file *file, int page, int size, int extend, void volatile **out) {
    return REAL(file)->pMethods->xShmMap(REAL(file), page, size, extend, out);
}
static int plShmLock(sqlite3_file *file, int offset, int n, int flags) { return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags); }
static void plShmBarrier(sqlite3_file *file) { REAL(file)->pMethods->xShmBarrier(REAL(file)); }
static int plShmUnmap(sqlite3_file *file, int deleteFlag) { return REAL(file)->pMethods->xShmUnmap(REAL(file), deleteFlag); }

static int plFileControl(sqlite3_file *file, int op, void *argument) {
    PowerLossFile *f = (PowerLossFile *)file;
    // A size hint may grow the file behind xWrite's back; the database is small in tests, so decline it.
    if (op == SQLITE_FCNTL_SIZE_HINT || op == SQLITE_FCNTL_CHUNK_SIZE) return SQLITE_NOTFOUND;
    if (op == SQLITE_FCNTL_VFSNAME) {
        *(char **)argument = sqlite3_mprintf("%s", f->vfs->name);
        return SQLITE_OK;
    }
    return REAL(file)->pMethods->xFileControl(REAL(file), op, argument);
}

// Version 2: no memory-mapped I/O, so every write passes through xWrite.
static const sqlite3_io_methods powerLossMethods = {
    2, plClose, plRead, plWrite, plTruncate, plSync, plFileSize, plLock, plUnlock, plCheckReservedLock,
    plFileControl, plSectorSize, plDeviceCharacteristics, plShmMap, plShmLock, plShmBarrier, plShmUnmap,
    NULL, NULL,
};

// MARK: VFS methods

static Image *imageFor(spool_powerloss_vfs *vfs, const char *path, sqlite3_file *real) {
    for (Image *image = vfs->images; image; image = image->next) {
        if (strcmp(image->path, path) == 0) return image;
    }
    Image *image = calloc(1, sizeof(Image));
    if (!image) return NULL;
    image->path = strdup(path);
    image->pendingTail = &image->pending;
    // Whatever the file holds when first opened counts as durable: it was there before the test began.
    sqlite3_int64 size = 0;
    if (!image->path || real->pMethods->xFileSize(real, &size) != SQLITE_OK || grow(image, size) != 0 ||
        (size > 0 && real->pMethods->xRead(real, image->data, (int)size, 0) != SQLITE_OK)) {
        free(image->data);
        free(image->path);
        free(image);
        return NULL;
    }
    image->exists = 1;
    image->next = vfs->images;
    vfs->images = image;
    return image;
}

static int plOpen(sqlite3_vfs *base, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    spool_powerloss_vfs *vfs = (spool_powerloss_vfs *)base;
    PowerLossFile *f = (PowerLossFile *)file;
    f->vfs = vfs;
    f->image = NULL;
    f->real = (sqlite3_file *)(f + 1);
    pthread_mutex_lock(&vfs->mutex);
    int existed = name && access(name, F_OK) == 0;
    int rc = vfs->cut ? SQLITE_CANTOPEN : vfs->real->xOpen(vfs->real, name, f->real, flags, outFlags);
    if (rc == SQLITE_OK && name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL))) {
        f->image = imageFor(vfs, name, f->real);
        if (!f->image) rc = SQLITE_NOMEM;
        // A file this open created exists after a cut only once a sync of it has completed.
        else if (!existed && !f->image->pending) f->image->exists = f->image->size > 0;
    }
    pthread_mutex_unlock(&vfs->mutex);
    if (rc != SQLITE_OK) {
        if (f->real->pMethods) f->real->pMethods->xClose(f->real);
        file->pMethods = NULL;
        return rc;
    }
    file->pMethods = &powerLossMethods;
    return SQLITE_OK;
}

static int plDelete(sqlite3_vfs *base, const char *name, int syncDirectory) {
    spool_powerloss_vfs *vfs = (spool_powerloss_vfs *)base;
    pthread_mutex_lock(&vfs->mutex);
    int rc = SQLITE_IOERR_DELETE;
    if (!vfs->cut) {
        rc = vfs->real->xDelete(vfs->real, name, syncDirectory);
        // A deletion counts as durable at once: SQLite deletes a WAL only once its content is in the database.
        for (Image *image = vfs->images; image && rc == SQLITE_OK; image = image->next) {
            if (strcmp(image->path, name) == 0) {
                dropPending(image);
                image->size = 0;
                image->exists = 0;
            }
        }
    }
    pthread_mutex_unlock(&vfs->mutex);
    return rc;
}

#define VFS(base) (((spool_powerloss_vfs *)(base))->real)
static int plAccess(sqlite3_vfs *base, const char *name, int flags, int *out) { return VFS(base)->xAccess(VFS(base), name, flags, out); }
static int plFullPathname(sqlite3_vfs *base, const char *name, int size, char *out) { return VFS(base)->xFullPathname(VFS(base), name, size, out); }
static void *plDlOpen(sqlite3_vfs *base, const char *name) { return VFS(base)->xDlOpen(VFS(base), name); }
static void plDlError(sqlite3_vfs *base, int size, char *out) { VFS(base)->xDlError(VFS(base), size, out); }
static void (*plDlSym(sqlite3_vfs *base, void *handle, const char *symbol))(void) { return VFS(base)->xDlSym(VFS(base), handle, symbol); }
static void plDlClose(sqlite3_vfs *base, void *handle) { VFS(base)->xDlClose(VFS(base), handle); }
static int plRandomness(sqlite3_vfs *base, int size, char *out) { return VFS(base)->xRandomness(VFS(base), size, out); }
static int plSleep(sqlite3_vfs *base, int micros) { return VFS(base)->xSleep(VFS(base), micros); }
static int plCurrentTime(sqlite3_vfs *base, double *out) { return VFS(base)->xCurrentTime(VFS(base), out); }
static int plGetLastError(sqlite3_vfs *base, int size, char *out) { return VFS(base)->xGetLastError(VFS(base), size, out); }
static int plCurrentTimeInt64(sqlite3_vfs *base, sqlite3_int64 *out) { return VFS(base)->xCurrentTimeInt64(VFS(base), out); }

// Version 2: SQLite asks nothing of version 3's system-call hooks.
static const sqlite3_vfs powerLossVFS = {
    2, 0, 0, NULL, NULL, NULL, plOpen, plDelete, plAccess, plFullPathname, plDlOpen, plDlError, plDlSym, plDlClose,
    plRandomness, plSleep, plCurrentTime, plGetLastError, plCurrentTimeInt64, NULL, NULL, NULL,
};

spool_powerloss_vfs *spool_powerloss_vfs_create(const char *name) {
    sqlite3_vfs *real = sqlite3_vfs_find("unix");
    if (!real || !name || strlen(name) >= sizeof(((spool_powerloss_vfs *)0)->name) || sqlite3_vfs_find(name)) return NULL;
    spool_powerloss_vfs *vfs = calloc(1, sizeof(spool_powerloss_vfs));
    if (!vfs) return NULL;
    strcpy(vfs->name, name);
    vfs->real = real;
    pthread_mutex_init(&vfs->mutex, NULL);
    vfs->base = powerLossVFS;
    vfs->base.szOsFile = (int)sizeof(PowerLossFile) + real->szOsFile;
    vfs->base.mxPathname = real->mxPathname;
    vfs->base.zName = vfs->name;
    if (sqlite3_vfs_register(&vfs->base, 0) != SQLITE_OK) {
        pthread_mutex_destroy(&vfs->mutex);
        free(vfs);
        return NULL;
    }
    return vfs;
}

void spool_powerloss_vfs_cut(spool_powerloss_vfs *vfs) {
    pthread_mutex_lock(&vfs->mutex);
    vfs->cut = 1;
    pthread_mutex_unlock(&vfs->mutex);
}

static int writeAll(const char *path, const unsigned char *data, sqlite3_int64 size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    sqlite3_int64 done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, (size_t)(size - done));
        if (n < 0) {
            if (errno == EINTR) continue;
            int code = errno;
            close(fd);
            return code;
        }
        done += n;
    }
    return close(fd) == 0 ? 0 : errno;
}

static int forgetImages(spool_powerloss_vfs *vfs, int restore) {
    int result = 0;
    pthread_mutex_lock(&vfs->mutex);
    Image *image = vfs->images;
    vfs->images = NULL;
    vfs->cut = 0;
    pthread_mutex_unlock(&vfs->mutex);
    while (image) {
        Image *next = image->next;
        int code = 0;
        if (restore && image->exists) {
            code = writeAll(image->path, image->data, image->size);
        } else if (restore && unlink(image->path) != 0 && errno != ENOENT) {
            code = errno;
        }
        char shm[4096];
        if (restore && snprintf(shm, sizeof shm, "%s-shm", image->path) < (int)sizeof shm && unlink(shm) != 0 && errno != ENOENT && !code) {
            code = errno;
        }
        if (code && !result) result = code;
        dropPending(image);
        free(image->data);
        free(image->path);
        free(image);
        image = next;
    }
    return result;
}

int spool_powerloss_vfs_restore(spool_powerloss_vfs *vfs) {
    return forgetImages(vfs, 1);
}

long spool_powerloss_vfs_sync_count(spool_powerloss_vfs *vfs) {
    pthread_mutex_lock(&vfs->mutex);
    long syncs = vfs->syncs;
    pthread_mutex_unlock(&vfs->mutex);
    return syncs;
}

void spool_powerloss_vfs_destroy(spool_powerloss_vfs *vfs) {
    if (!vfs) return;
    sqlite3_vfs_unregister(&vfs->base);
    forgetImages(vfs, 0);
    pthread_mutex_destroy(&vfs->mutex);
    free(vfs);
}
