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
 * returns the same two arrays of addresses (the layout of netty-incubator-transport-native-io_uring
 * 0.0.26: the submission queue's 11 values and the completion queue's 9). A kernel that refuses the
 * flag (EINVAL: older than 5.19) gets a ring without it, as before.
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

static jclass long_array_class;
/* The flags of the last ring made: 0 when the kernel refused COOP_TASKRUN. */
static volatile jint last_flags = -1;

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

static int ring_setup(jint entries, struct io_uring_params *p, unsigned flags) {
    memset(p, 0, sizeof(*p));
    p->flags = flags;
    return (int) syscall(__NR_io_uring_setup, (unsigned) entries, p);
}

static jobjectArray setup(JNIEnv *env, jclass clazz, jint entries) {
    struct io_uring_params p;
    int fd = ring_setup(entries, &p, IORING_SETUP_COOP_TASKRUN);
    if (fd < 0 && errno == EINVAL) {
        fd = ring_setup(entries, &p, 0);
    }
    if (fd < 0) {
        throw_errno(env, "failed to create io_uring ring fd", errno);
        return NULL;
    }
    last_flags = (jint) p.flags;

    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single) {
        if (cq_size > sq_size) {
            sq_size = cq_size;
        }
        cq_size = sq_size;
    }
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    if (sq == MAP_FAILED) {
        int err = errno;
        close(fd);
        throw_errno(env, "failed to mmap io_uring ring buffer", err);
        return NULL;
    }
    char *cq = sq;
    if (!single) {
        cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
        if (cq == MAP_FAILED) {
            int err = errno;
            munmap(sq, sq_size);
            close(fd);
            throw_errno(env, "failed to mmap io_uring ring buffer", err);
            return NULL;
        }
    }
    void *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                      IORING_OFF_SQES);
    if (sqes == MAP_FAILED) {
        int err = errno;
        if (cq != sq) {
            munmap(cq, cq_size);
        }
        munmap(sq, sq_size);
        close(fd);
        throw_errno(env, "failed to mmap io_uring ring buffer", err);
        return NULL;
    }

    jlong submission[] = {
        (jlong) (sq + p.sq_off.head), (jlong) (sq + p.sq_off.tail), (jlong) (sq + p.sq_off.ring_mask),
        (jlong) (sq + p.sq_off.ring_entries), (jlong) (sq + p.sq_off.flags), (jlong) (sq + p.sq_off.dropped),
        (jlong) (sq + p.sq_off.array), (jlong) sqes, (jlong) sq_size, (jlong) sq, (jlong) fd
    };
    jlong completion[] = {
        (jlong) (cq + p.cq_off.head), (jlong) (cq + p.cq_off.tail), (jlong) (cq + p.cq_off.ring_mask),
        (jlong) (cq + p.cq_off.ring_entries), (jlong) (cq + p.cq_off.overflow), (jlong) (cq + p.cq_off.cqes),
        (jlong) cq_size, (jlong) cq, (jlong) fd
    };
    jobjectArray result = (*env)->NewObjectArray(env, 2, long_array_class, NULL);
    jlongArray s = (*env)->NewLongArray(env, 11);
    jlongArray c = (*env)->NewLongArray(env, 9);
    if (result == NULL || s == NULL || c == NULL) {
        return NULL; /* an OutOfMemoryError is pending */
    }
    (*env)->SetLongArrayRegion(env, s, 0, 11, submission);
    (*env)->SetLongArrayRegion(env, c, 0, 9, completion);
    (*env)->SetObjectArrayElement(env, result, 0, s);
    (*env)->SetObjectArrayElement(env, result, 1, c);
    return result;
}

JNIEXPORT jint JNICALL Java_io_dsha_proxy_transport_RingSetup_install(JNIEnv *env, jclass clazz, jclass native_class) {
    jclass local = (*env)->FindClass(env, "[J");
    if (local == NULL) {
        return -1;
    }
    long_array_class = (*env)->NewGlobalRef(env, local);
    JNINativeMethod method = { "ioUringSetup", "(I)[[J", (void *) setup };
    return (*env)->RegisterNatives(env, native_class, &method, 1);
}

JNIEXPORT jint JNICALL Java_io_dsha_proxy_transport_RingSetup_lastFlags(JNIEnv *env, jclass clazz) {
    return last_flags;
}
