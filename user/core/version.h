/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * version.h - the one version string: `edgesteer --version`, the
 * edgesteer_build_info metric, `stats --json`. The build may override it
 * (-DEDGESTEER_VERSION=...).
 */
#ifndef EDGESTEER_VERSION_H
#define EDGESTEER_VERSION_H

#ifndef EDGESTEER_VERSION
#define EDGESTEER_VERSION "0.1"
#endif

#endif
