/* kgsim_create.h: kgsim_create with its status, for the back-end table
 * (kgsim_ops.c); private to libkgsim. */
#ifndef KGSIM_CREATE_H
#define KGSIM_CREATE_H

#include <stddef.h>

#include "kgsim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* As kgsim_create, and returns KGSIM_OK, KGSIM_EINVAL (config refused),
 * KGSIM_ENOMEM or KGSIM_EIO (the model failed to build); *out is NULL on
 * failure. */
int kgsim_create_status(const kgsim_config *cfg, kgsim **out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* KGSIM_CREATE_H */
