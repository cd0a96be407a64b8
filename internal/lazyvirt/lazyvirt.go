//go:build linux && cgo && libvirt_dlopen

// Package lazyvirt defers loading libvirt.so until libvirt is first used.
//
// Built with libvirt_dlopen, the libvirt bindings open libvirt.so.0 (and,
// through it, glib, gnutls, libxml2 and the rest) with RTLD_NOW from their
// package init, to set an error handler: 40-150 ms in every faultline
// process, the guard included, before main runs, whether the run touches
// libvirt or not. Linked into a binary, this package gives the bindings'
// C code (and only it: the definitions are hidden, so shared libraries
// keep the C library's) a dlopen that hands out a stand-in for
// libvirt.so.0 and a dlsym that loads the library on the first symbol
// asked of it. The two things the bindings ask for at init, the error
// handler setter and the default authentication, are answered without
// loading: the handler is recorded and set on load, and the default
// authentication is a copy filled on load, which happens before libvirt
// can read it (the call that passes it loads the library first).
package lazyvirt

import "C"
