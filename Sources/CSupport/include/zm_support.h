#ifndef ZM_SUPPORT_H
#define ZM_SUPPORT_H
/// Atomically exchanges two paths (Linux renameat2 RENAME_EXCHANGE).
/// Returns 0 on success, -1 with errno set otherwise (ENOSYS or EINVAL where unsupported).
int zm_exchange_paths(const char *a, const char *b);
/// Makes glibc's allocator map every allocation of at least `bytes` on its own and unmap it when
/// freed, instead of adjusting that threshold as it goes. Returns 1 on success, 0 otherwise.
int zm_set_mmap_threshold(int bytes);
/// Installs a handler for SIGTERM and SIGINT that writes the signal's number, one byte, to `fd`
/// (a pipe's writing end), and unblocks both on the calling thread. The handler resets itself:
/// a second signal of the same kind takes its default action and ends the process at once.
/// Returns 0 on success, -1 with errno set otherwise.
int zm_forward_termination_signals(int fd);
#endif
