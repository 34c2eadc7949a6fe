/*
 * The io_uring ring of each event loop, created with IORING_SETUP_COOP_TASKRUN.
 *
 * Netty's incubator transport creates its rings with no setup flags. The kernel then completes a
 * socket's readiness by queueing task work to the event-loop thread and, when that thread is
 * running in user space on another CPU, interrupting it at once (a reschedule IPI). Under load every
 * packet from a client or a backend does that. COOP_TASKRUN (Linux 5.19) lets the task work wait for
 * the thread's next entry into the kernel, which an event loop makes every round anyway. Measured in
 * BENCHMARKS.md, "io_uring without interrupts".
 *
 * install() replaces the transport's native Native.ioUringSetup(int) with setup() below, which
 * returns the same two arrays of addresses in the layout of the transport version WRITTEN_FOR: the
 * submission queue's 11 values and the completion queue's 9, in the order of the constructors of
 * IOUringSubmissionQueue and IOUringCompletionQueue, freed by Native.ioUringExit. RingSetup checks
 * that version and those signatures before calling install(), and leaves the transport's own set-up
 * in place otherwise. A kernel that refuses the flag (EINVAL: older than 5.19) gets a ring without
 * it, as before.
 */
#define _GNU_SOURCE /* strerror_r returning the message */
#include <errno.h>
#include <jni.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif

/* The netty-incubator-transport-classes-io_uring version whose Native.createRingBuffer this layout feeds. */
#define WRITTEN_FOR "0.0.26.Final"
#define SUBMISSION_VALUES 11
#define COMPLETION_VALUES 9

/* The steps that can fail once the ring's fd exists (RingSetupTest makes each fail in turn). */
enum step { STEP_NONE, STEP_MAP_SQ, STEP_MAP_CQ, STEP_MAP_SQES, STEP_ARRAYS };

static jclass long_array_class;
/* The flags of the last ring made: 0 when the kernel refused COOP_TASKRUN. */
static volatile jint last_flags = -1;
/* The step at which the next setup() fails as if the kernel or the JVM had refused it; STEP_NONE but in tests. */
static volatile jint fail_at = STEP_NONE;

/* What one ring holds: everything setup() must give back when a later step fails. */
struct ring {
    int fd;
    char *sq;
    size_t sq_size;
    char *cq;
    size_t cq_size;
    void *sqes;
    size_t sqes_size;
};

static void throw_errno(JNIEnv *env, const char *what, int err) {
    char message[256];
    char reason[128];
    const char *r = strerror_r(err, reason, sizeof(reason));
    snprintf(message, sizeof(message), "%s: %s", what, r);
    jclass ex = (*env)->FindClass(env, "java/lang/RuntimeException");
    if (ex != NULL) {
        (*env)->ThrowNew(env, ex, message);
    }
}

static void *map(struct ring *r, size_t size, off_t offset, enum step step, enum step fail) {
    if (step == fail) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, offset);
}

/* Unmaps what was mapped and closes the fd: a ring that setup() does not hand over is not leaked. */
static void release(struct ring *r) {
    if (r->sqes != MAP_FAILED) {
        munmap(r->sqes, r->sqes_size);
    }
    if (r->cq != MAP_FAILED && r->cq != r->sq) {
        munmap(r->cq, r->cq_size);
    }
    if (r->sq != MAP_FAILED) {
        munmap(r->sq, r->sq_size);
    }
    close(r->fd);
}

static int ring_setup(jint entries, struct io_uring_params *p, unsigned flags) {
    memset(p, 0, sizeof(*p));
    p->flags = flags;
    return (int) syscall(__NR_io_uring_setup, (unsigned) entries, p);
}

static jobjectArray addresses(JNIEnv *env, const struct ring *r, const struct io_uring_params *p, enum step fail) {
    if (fail == STEP_ARRAYS) {
        jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
        if (oom != NULL) {
            (*env)->ThrowNew(env, oom, "injected by RingSetupTest");
        }
        return NULL;
    }
    char *sq = r->sq;
    char *cq = r->cq;
    jlong submission[SUBMISSION_VALUES] = {
        (jlong) (sq + p->sq_off.head), (jlong) (sq + p->sq_off.tail), (jlong) (sq + p->sq_off.ring_mask),
        (jlong) (sq + p->sq_off.ring_entries), (jlong) (sq + p->sq_off.flags), (jlong) (sq + p->sq_off.dropped),
        (jlong) (sq + p->sq_off.array), (jlong) r->sqes, (jlong) r->sq_size, (jlong) sq, (jlong) r->fd
    };
    jlong completion[COMPLETION_VALUES] = {
        (jlong) (cq + p->cq_off.head), (jlong) (cq + p->cq_off.tail), (jlong) (cq + p->cq_off.ring_mask),
        (jlong) (cq + p->cq_off.ring_entries), (jlong) (cq + p->cq_off.overflow), (jlong) (cq + p->cq_off.cqes),
        (jlong) r->cq_size, (jlong) cq, (jlong) r->fd
    };
    jobjectArray result = (*env)->NewObjectArray(env, 2, long_array_class, NULL);
    if (result == NULL) {
        return NULL; /* an OutOfMemoryError is pending */
    }
    jlongArray s = (*env)->NewLongArray(env, SUBMISSION_VALUES);
    if (s == NULL) {
        return NULL;
    }
    (*env)->SetLongArrayRegion(env, s, 0, SUBMISSION_VALUES, submission);
    (*env)->SetObjectArrayElement(env, result, 0, s);
    jlongArray c = (*env)->NewLongArray(env, COMPLETION_VALUES);
    if (c == NULL) {
        return NULL;
    }
    (*env)->SetLongArrayRegion(env, c, 0, COMPLETION_VALUES, completion);
    (*env)->SetObjectArrayElement(env, result, 1, c);
    return (*env)->ExceptionCheck(env) ? NULL : result;
}

static jobjectArray setup(JNIEnv *env, jclass clazz, jint entries) {
    /* Taken once, so that a step this ring does not reach (STEP_MAP_CQ with one mapping) is not left armed. */
    enum step fail = (enum step) fail_at;
    fail_at = STEP_NONE;
    struct io_uring_params p;
    int fd = ring_setup(entries, &p, IORING_SETUP_COOP_TASKRUN);
    if (fd < 0 && errno == EINVAL) {
        fd = ring_setup(entries, &p, 0);
    }
    if (fd < 0) {
        throw_errno(env, "failed to create io_uring ring fd", errno);
        return NULL;
    }
    struct ring r = { .fd = fd, .sq = MAP_FAILED, .cq = MAP_FAILED, .sqes = MAP_FAILED };
    r.sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    r.cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    r.sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
    int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single) {
        if (r.cq_size > r.sq_size) {
            r.sq_size = r.cq_size;
        }
        r.cq_size = r.sq_size;
    }
    r.sq = map(&r, r.sq_size, IORING_OFF_SQ_RING, STEP_MAP_SQ, fail);
    if (r.sq == MAP_FAILED) {
        goto failed_mmap;
    }
    r.cq = single ? r.sq : map(&r, r.cq_size, IORING_OFF_CQ_RING, STEP_MAP_CQ, fail);
    if (r.cq == MAP_FAILED) {
        goto failed_mmap;
    }
    r.sqes = map(&r, r.sqes_size, IORING_OFF_SQES, STEP_MAP_SQES, fail);
    if (r.sqes == MAP_FAILED) {
        goto failed_mmap;
    }
    jobjectArray result = addresses(env, &r, &p, fail);
    if (result == NULL) {
        release(&r); /* the JVM's exception is pending */
        return NULL;
    }
    last_flags = (jint) p.flags;
    return result;

failed_mmap: {
        int err = errno;
        release(&r);
        throw_errno(env, "failed to mmap io_uring ring buffer", err);
        return NULL;
    }
}

JNIEXPORT jstring JNICALL Java_io_dsha_proxy_transport_RingSetup_writtenFor(JNIEnv *env, jclass clazz) {
    return (*env)->NewStringUTF(env, WRITTEN_FOR);
}

JNIEXPORT jint JNICALL Java_io_dsha_proxy_transport_RingSetup_install(JNIEnv *env, jclass clazz, jclass native_class) {
    jclass local = (*env)->FindClass(env, "[J");
    if (local == NULL) {
        return -1;
    }
    long_array_class = (*env)->NewGlobalRef(env, local);
    if (long_array_class == NULL) {
        return -1;
    }
    JNINativeMethod method = { "ioUringSetup", "(I)[[J", (void *) setup };
    return (*env)->RegisterNatives(env, native_class, &method, 1);
}

JNIEXPORT jint JNICALL Java_io_dsha_proxy_transport_RingSetup_lastFlags(JNIEnv *env, jclass clazz) {
    return last_flags;
}

/* For RingSetupTest: the next setup() fails at this step (enum step), and gives back what it had made. */
JNIEXPORT void JNICALL Java_io_dsha_proxy_transport_RingSetup_failNextSetupAt(JNIEnv *env, jclass clazz, jint step) {
    fail_at = step;
}

/* For RingSetupTest: setup() called directly, without the transport (after install(), which finds long[]). */
JNIEXPORT jobjectArray JNICALL Java_io_dsha_proxy_transport_RingSetup_setup(JNIEnv *env, jclass clazz, jint entries) {
    if (long_array_class == NULL) {
        jclass ex = (*env)->FindClass(env, "java/lang/IllegalStateException");
        if (ex != NULL) {
            (*env)->ThrowNew(env, ex, "install() first");
        }
        return NULL;
    }
    return setup(env, clazz, entries);
}
