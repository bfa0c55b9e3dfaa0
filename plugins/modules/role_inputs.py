# Copyright: kubeadm.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/role_inputs.py); this file holds its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: role_inputs
short_description: Check a role's variables strictly against its argument specification
version_added: 0.2.0
description:
  - Reads C(meta/argument_specs.yml) of the role the task belongs to and checks the value of every variable the
    specification declares, as the play sees it (inventory, group and host variables, extra vars, role defaults),
    after templating.
  - Unlike the argument validation Ansible runs when a role starts, nothing is converted before the check. A
    boolean must be a YAML boolean (the string V(no) is refused, which a condition would take as true), a list
    must be a list (the string V(overlay) is refused, which a loop would visit character by character), a string
    must be a string (an unquoted V(1.30), read by YAML as the number 1.3, is refused).
  - Also checks C(choices) (of a value, or of each element of a list), C(elements), C(required), and the keys of
    dictionary options that declare C(options) (unknown keys are refused).
  - Every error is reported at once, each naming the variable and the offending value.
  - Variables that carry the role's prefix (C(<role>_)) but that the role does not declare are reported as
    warnings, with the closest known name.
  - Runs on the controller only; nothing runs on the host.
author:
  - kubeadm.cluster maintainers (@kubeadm)
options:
  entry_point:
    description:
      - The entry point of C(meta/argument_specs.yml) whose options are checked.
    type: str
    default: main
  digest_ignore:
    description:
      - Variables left out of RV(digest), because the role's checks do not read them; a change of one of them alone
        then does not run the checks again.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details:
      - Changes nothing in any mode.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: all
notes:
  - Use it as the first task of a role's input checks; C(kubeadm.cluster) roles do so in C(tasks/preflight.yml),
    which the preflight play of C(playbooks/site.yml) also runs for every role before any host changes.
"""

EXAMPLES = r"""
- name: Check the role's variables against meta/argument_specs.yml
  kubeadm.cluster.role_inputs:
"""

RETURN = r"""
checked:
  description: The names of the variables that were set and checked.
  returned: always
  type: list
  elements: str
  sample: [containerd_source, containerd_systemd_cgroup]
digest:
  description: A digest of the role's name and checked variables (without O(digest_ignore)).
  returned: always
  type: str
cached:
  description:
    - Whether RV(digest) is in the host's C(__role_inputs_passed) list, which a role's checks extend when they pass;
      the role then skips checks that passed for the same inputs earlier in the run.
  returned: always
  type: bool
errors:
  description: One message per invalid variable, naming it and its value.
  returned: failed
  type: list
  elements: str
  sample: ["containerd_source must be one of auto, distribution, docker; got the string 'debian'."]
"""
