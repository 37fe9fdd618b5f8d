#ifndef ZM_SUPPORT_H
#define ZM_SUPPORT_H
/// Atomically exchanges two paths (Linux renameat2 RENAME_EXCHANGE).
/// Returns 0 on success, -1 with errno set otherwise (ENOSYS or EINVAL where unsupported).
int zm_exchange_paths(const char *a, const char *b);
#endif
