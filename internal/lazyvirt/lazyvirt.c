//go:build linux && cgo && libvirt_dlopen

#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#define HIDDEN __attribute__((visibility("hidden")))

static const char lazy_name[] = "libvirt.so.0";
static char lazy_handle; // its address stands for libvirt.so.0

static void *(*real_dlopen)(const char *, int);
static void *(*real_dlsym)(void *, const char *);
static int (*real_dlclose)(void *);
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

// find_real finds the C library's functions this file shadows.
static void find_real(void) {
	static const char *versions[] = {"GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.0", NULL};
	for (int i = 0; versions[i] != NULL && real_dlsym == NULL; i++) {
		real_dlsym = dlvsym(RTLD_NEXT, "dlsym", versions[i]);
	}
	if (real_dlsym == NULL) {
		return;
	}
	real_dlopen = real_dlsym(RTLD_NEXT, "dlopen");
	real_dlclose = real_dlsym(RTLD_NEXT, "dlclose");
}

// virConnectAuth as libvirt declares it (a stable ABI).
struct auth {
	int *credtype;
	unsigned int ncredtype;
	void *cb;
	void *cbdata;
};

static struct auth auth_copy;             // filled on load
static struct auth *auth_default = &auth_copy; // what virConnectAuthPtrDefault holds

typedef void (*error_func)(void *, void *);
static pthread_mutex_t error_mu = PTHREAD_MUTEX_INITIALIZER;
static int error_set;
static void *error_data;
static error_func error_fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_mode = RTLD_NOW | RTLD_LOCAL;
static void *lib;

static void load(void) {
	void *h = real_dlopen(lazy_name, load_mode);
	if (h == NULL) {
		return;
	}
	struct auth **def = real_dlsym(h, "virConnectAuthPtrDefault");
	if (def != NULL && *def != NULL) {
		auth_copy = **def;
	}
	pthread_mutex_lock(&error_mu);
	if (error_set) {
		void (*set)(void *, error_func) = real_dlsym(h, "virSetErrorFunc");
		if (set != NULL) {
			set(error_data, error_fn);
		}
	}
	lib = h;
	pthread_mutex_unlock(&error_mu);
}

// set_error_func is virSetErrorFunc until the library is loaded.
static void set_error_func(void *data, error_func fn) {
	pthread_mutex_lock(&error_mu);
	if (lib != NULL) {
		void (*set)(void *, error_func) = real_dlsym(lib, "virSetErrorFunc");
		if (set != NULL) {
			set(data, fn);
		}
	}
	error_set = 1;
	error_data = data;
	error_fn = fn;
	pthread_mutex_unlock(&error_mu);
}

HIDDEN void *dlopen(const char *file, int mode) {
	pthread_once(&real_once, find_real);
	if (file != NULL && strcmp(file, lazy_name) == 0) {
		load_mode = mode;
		return &lazy_handle;
	}
	return real_dlopen(file, mode);
}

HIDDEN void *dlsym(void *handle, const char *name) {
	pthread_once(&real_once, find_real);
	if (handle != &lazy_handle) {
		return real_dlsym(handle, name);
	}
	if (strcmp(name, "virConnectAuthPtrDefault") == 0) {
		dlerror(); // the bindings read dlerror after dlsym: leave none
		return &auth_default;
	}
	if (strcmp(name, "virSetErrorFunc") == 0) {
		dlerror();
		return (void *)set_error_func;
	}
	pthread_once(&load_once, load);
	if (lib == NULL) {
		// Fail as the real load fails, so that dlerror says why.
		void *h = real_dlopen(lazy_name, load_mode);
		if (h == NULL) {
			return NULL;
		}
		return real_dlsym(h, name);
	}
	return real_dlsym(lib, name);
}

HIDDEN int dlclose(void *handle) {
	pthread_once(&real_once, find_real);
	if (handle == &lazy_handle) {
		return 0;
	}
	return real_dlclose(handle);
}
