package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func init() {
	extraCommands = append(extraCommands, &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: source <(faultline completion bash)",
		ArgsUsage: "bash|zsh",
		Action:    completionCmd,
	})
}

// The scripts ask the binary itself (--generate-bash-completion), so they
// always complete the commands and flags of the faultline on the PATH.
const bashCompletion = `# bash completion for faultline
_faultline_complete() {
  local cur opts
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == "-"* ]]; then
    opts=$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:$COMP_CWORD-1}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -f -- "${cur}"))
  fi
  return 0
}
complete -o bashdefault -o default -F _faultline_complete faultline
`

const zshCompletion = `#compdef faultline
# zsh completion for faultline
_faultline() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _faultline faultline
`

func completionCmd(c *cli.Context) error {
	switch c.Args().First() {
	case "bash":
		fmt.Print(bashCompletion)
	case "zsh":
		fmt.Print(zshCompletion)
	default:
		return invalid(fmt.Errorf("completion: name a shell: bash or zsh (got %q)", c.Args().First()))
	}
	return nil
}
