/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Preloaded into linux.uml by labenv.sh uml-run (LD_PRELOAD).
 *
 * Debian 12's user-mode Linux (6.1) saves and restores the FPU state of its
 * guest processes with PTRACE_GETREGSET/PTRACE_SETREGSET NT_X86_XSTATE into a
 * buffer of a size fixed when it was built: 2696 bytes, the XSAVE area of a
 * CPU with AVX-512. The host kernel accepts a SETREGSET only of its own full
 * size, else EFAULT. On a CPU with AMX (Sapphire Rapids and later) that size
 * is 11008 bytes, so the first SETREGSET fails, UML prints "userspace - ptrace
 * set fp regs failed, errno = 14" and panics before init runs. Shown by
 *   grep -o 'amx[a-z_0-9]*' /proc/cpuinfo | sort -u
 *   UML_VERBOSE=1 UML_XSTATE=0 ./scripts/labenv.sh uml-run true
 *
 * This wrapper completes such a short buffer: it reads the tracee's full state,
 * lays UML's bytes over its start and writes the whole. What lies beyond UML's
 * buffer on such a CPU is the AMX tile state, which no guest process can have
 * (a process must ask the host kernel for AMX with arch_prctl, and a guest's
 * arch_prctl goes to UML), so the state kept is the state UML would have set.
 * Newer UML kernels size the buffer from the host; there the wrapper only
 * passes calls through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * Static, not on the stack: UML calls ptrace on its own kernel stacks, which
 * are a few pages. UML runs one kernel thread at a time, so one buffer serves.
 */
static unsigned char xstate_full[64 * 1024] __attribute__((aligned(64)));
static size_t xstate_size;

long
ptrace(enum __ptrace_request request, ...)
{
	static long (*real_ptrace)(enum __ptrace_request request, ...);
	struct iovec *iov, full;
	void *addr, *data;
	va_list ap;
	pid_t pid;

	va_start(ap, request);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);

	if (real_ptrace == NULL)
		real_ptrace = (long (*)(enum __ptrace_request, ...))dlsym(RTLD_NEXT, "ptrace");
	if (real_ptrace == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (request != PTRACE_SETREGSET || (uintptr_t)addr != NT_X86_XSTATE)
		return real_ptrace(request, pid, addr, data);

	iov = data;
	if (xstate_size != 0 && iov->iov_len >= xstate_size)
		return real_ptrace(request, pid, addr, data);
	/* The kernel shortens iov_len to the size of its own XSAVE area. */
	full.iov_base = xstate_full;
	full.iov_len = sizeof(xstate_full);
	if (real_ptrace(PTRACE_GETREGSET, pid, addr, &full) < 0)
		return -1;
	xstate_size = full.iov_len;
	if (iov->iov_len < xstate_size) {
		memcpy(xstate_full, iov->iov_base, iov->iov_len);
		data = &full;
	}
	return real_ptrace(request, pid, addr, data);
}
