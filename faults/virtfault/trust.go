package virtfault

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"libvirt.org/go/libvirt"

	"github.com/faultline/faultline/faults"
)

// uuidRe is libvirt's canonical UUID form.
var uuidRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
})

func checkUUID(what, uuid string) error {
	if !uuidRe().MatchString(uuid) || strings.Trim(uuid, "0-") == "" {
		return fmt.Errorf("%s has no recorded UUID (got %q): it cannot be told from another of the same name", what, uuid)
	}
	return nil
}

// xmlIdentity is the name and UUID a domain or network XML would create.
type xmlIdentity struct {
	XMLName xml.Name
	Name    string `xml:"name"`
	UUID    string `xml:"uuid"`
}

// checkXML refuses XML that would create anything but the recorded object:
// another root element, another UUID or another name.
func checkXML(root, what, uuid, name, doc string) error {
	var id xmlIdentity
	if err := xml.Unmarshal([]byte(doc), &id); err != nil {
		return fmt.Errorf("%s: recorded XML does not parse: %w", what, err)
	}
	if id.XMLName.Local != root {
		return fmt.Errorf("%s: recorded XML is a <%s>, not a <%s>", what, id.XMLName.Local, root)
	}
	if !strings.EqualFold(strings.TrimSpace(id.UUID), uuid) {
		return fmt.Errorf("%s: recorded XML has UUID %q, not the recorded %s: it would create another %s",
			what, strings.TrimSpace(id.UUID), uuid, root)
	}
	if strings.TrimSpace(id.Name) != name {
		return fmt.Errorf("%s: recorded XML names %q, not the recorded %q", what, strings.TrimSpace(id.Name), name)
	}
	return nil
}

// trustDomainUndo checks a domain fault's undo record read back from a
// journal, changing nothing: a connection URI, every domain by a real
// UUID (a revert looks domains up by UUID only), no UUID twice, and any
// XML kept to recreate a transient domain creates that very domain.
func trustDomainUndo(kind string) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var u domainUndo
		if err := faults.DecodeParams(raw, &u); err != nil {
			return fmt.Errorf("%s undo record: %w", kind, err)
		}
		if u.URI == "" {
			return fmt.Errorf("%s undo record has no connection URI", kind)
		}
		seen := map[string]bool{}
		var errs []error
		for _, d := range u.Domains {
			what := fmt.Sprintf("domain %q", d.Name)
			if err := checkUUID(what, d.UUID); err != nil {
				errs = append(errs, err)
				continue
			}
			if seen[strings.ToLower(d.UUID)] {
				errs = append(errs, fmt.Errorf("%s: UUID %s recorded twice", what, d.UUID))
			}
			seen[strings.ToLower(d.UUID)] = true
			if d.TransientXML != "" {
				if err := checkXML("domain", what, d.UUID, d.Name, d.TransientXML); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("%s undo record: %w", kind, err)
		}
		return nil
	}
}

// trustNetworkUndo is trustDomainUndo for network.destroy.
func trustNetworkUndo(raw json.RawMessage) error {
	var u networkUndo
	if err := faults.DecodeParams(raw, &u); err != nil {
		return fmt.Errorf("network.destroy undo record: %w", err)
	}
	if u.URI == "" {
		return errors.New("network.destroy undo record has no connection URI")
	}
	what := fmt.Sprintf("network %q", u.Name)
	if err := checkUUID(what, u.UUID); err != nil {
		return fmt.Errorf("network.destroy undo record: %w", err)
	}
	if u.TransientXML != "" {
		if err := checkXML("network", what, u.UUID, u.Name, u.TransientXML); err != nil {
			return fmt.Errorf("network.destroy undo record: %w", err)
		}
	}
	return nil
}

// trustedRevert refuses, before reverting, a record its trust check fails:
// a revert called without recover's check must not act on it either.
func trustedRevert(trust func(json.RawMessage) error, revert func(context.Context, json.RawMessage) error) func(context.Context, json.RawMessage) error {
	return func(ctx context.Context, raw json.RawMessage) error {
		if err := trust(raw); err != nil {
			return fmt.Errorf("%w: %w", faults.ErrUntrusted, err)
		}
		return revert(ctx, raw)
	}
}

// transientXML is the XML that recreates a transient domain. Secrets
// (VIR_DOMAIN_XML_SECURE: graphics passwords) are asked for only when the
// domain has something they protect, so that a journal holds no secret
// its revert does not need.
func transientXML(d Domain) (string, error) {
	x, err := d.XML(0)
	if err != nil || !strings.Contains(x, "<graphics") {
		return x, err
	}
	return d.XML(libvirt.DOMAIN_XML_SECURE)
}
