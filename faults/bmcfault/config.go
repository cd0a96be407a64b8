package bmcfault

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/nsutil/nsname"
)

// DefaultPort is IPMI's RMCP port.
const DefaultPort = 623

// Config says how to reach one BMC. It holds where the password comes
// from, never the password itself, so it may be journalled as it is.
type Config struct {
	Address string `json:"address" required:"true"`
	Port    int    `json:"port,omitempty" default:"623"`
	User    string `json:"user"`
	// PasswordFile is a file holding the password (one line; a trailing
	// newline is dropped).
	PasswordFile string `json:"passwordFile,omitempty"`
	// PasswordEnv names an environment variable holding the password.
	PasswordEnv string `json:"passwordEnv,omitempty"`
	// Netns reaches the BMC from inside this network namespace.
	Netns string `json:"netns,omitempty"`
	// CipherSuite is the RMCP+ cipher suite; 0 tries 17, then 3, and
	// never probes the BMC for its list (which costs seconds on some).
	CipherSuite int `json:"cipherSuite,omitempty"`
}

// validate checks the fields and fills the default port; it touches nothing.
func (c *Config) validate() error {
	var errs []error
	if c.Address == "" {
		errs = append(errs, errors.New("address is required"))
	} else if strings.ContainsAny(c.Address, " /") {
		errs = append(errs, fmt.Errorf("address %q is not a host name or IP address", c.Address))
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d out of range", c.Port))
	}
	if (c.PasswordFile == "") == (c.PasswordEnv == "") {
		errs = append(errs, errors.New("exactly one of passwordFile, passwordEnv is required"))
	}
	if len(c.User) > 16 {
		errs = append(errs, errors.New("user longer than 16 characters"))
	}
	if err := nsname.Validate(c.Netns); err != nil {
		errs = append(errs, fmt.Errorf("netns: %w", err))
	}
	switch c.CipherSuite {
	case 0, 1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17:
	default:
		errs = append(errs, fmt.Errorf("cipherSuite %d is not an RMCP+ suite with authentication", c.CipherSuite))
	}
	return errors.Join(errs...)
}

// endpoint is "ADDR:PORT", for messages and target IDs.
func (c Config) endpoint() string {
	return net.JoinHostPort(c.Address, strconv.Itoa(c.Port))
}

// source says where the password comes from, for messages.
func (c Config) source() string {
	if c.PasswordFile != "" {
		return "passwordFile " + c.PasswordFile
	}
	return "passwordEnv " + c.PasswordEnv
}

// password reads the password from its source. Errors name the source only.
func (c Config) password() (string, error) {
	if c.PasswordEnv != "" {
		v, ok := os.LookupEnv(c.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("bmc %s: password variable %s is not set", c.endpoint(), c.PasswordEnv)
		}
		return v, nil
	}
	b, err := os.ReadFile(c.PasswordFile)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return "", fmt.Errorf("bmc %s: read password file %s: %w", c.endpoint(), c.PasswordFile, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
