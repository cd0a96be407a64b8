package virtfault

import "testing"

func TestIsRemoteURI(t *testing.T) {
	for uri, want := range map[string]bool{
		"qemu:///system": false,
		"qemu:///system?socket=/run/x/libvirt-sock": false,
		"test:///default":                   false,
		"qemu+ssh://hv-a/system":            true,
		"qemu+ssh://root@198.19.0.2/system": true,
		"qemu+unix:///system":               true, // a transport: one round trip costs little
		"qemu://hv-a/system":                true,
	} {
		if got := isRemoteURI(uri); got != want {
			t.Errorf("isRemoteURI(%q) = %v, want %v", uri, got, want)
		}
	}
}
