package virtfault

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

// xmlDomain answers XML like libvirt: secrets only with the secure flag.
type xmlDomain struct {
	Domain
	xml   string
	asked []libvirt.DomainXMLFlags
}

func (d *xmlDomain) XML(flags libvirt.DomainXMLFlags) (string, error) {
	d.asked = append(d.asked, flags)
	if flags&libvirt.DOMAIN_XML_SECURE != 0 {
		return d.xml, nil
	}
	return strings.ReplaceAll(d.xml, " passwd='s3cret'", ""), nil
}

func TestTransientXMLAsksForSecretsOnlyWhenTheRevertNeedsThem(t *testing.T) {
	plain := &xmlDomain{xml: "<domain><name>a</name><devices><disk/></devices></domain>"}
	x, err := transientXML(plain)
	if err != nil || x != plain.xml {
		t.Fatalf("plain domain: %q %v", x, err)
	}
	for _, f := range plain.asked {
		if f&libvirt.DOMAIN_XML_SECURE != 0 {
			t.Fatal("secure XML asked for a domain with nothing secret")
		}
	}
	vnc := &xmlDomain{xml: "<domain><name>b</name><devices><graphics type='vnc' passwd='s3cret'/></devices></domain>"}
	x, err = transientXML(vnc)
	if err != nil || !strings.Contains(x, "passwd='s3cret'") {
		t.Fatalf("a recreated domain must keep its console password: %q %v", x, err)
	}
}
