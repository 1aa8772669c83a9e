"""Stand-in for the pip bootstrap script ansible-test downloads into ~/.ansible/test/cache.

ansible-test creates bare virtual environments for some sanity tests and fetches a pip
bootstrap script from a host outside the package registries, which these machines cannot
reach. This installs pip from the interpreter's own ensurepip wheel, then runs
`pip install` with the arguments ansible-test passed (its pinned pip and friends), which come
from the package index as usual. scripts/test places it under an ansible-test HOME of its own,
so a user's ~/.ansible is never touched.
"""

import subprocess
import sys

# get-pip.py options without a pip install equivalent: pip alone is what ansible-test asks for.
IGNORED = {"--no-setuptools", "--no-wheel"}

# In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in its own environment, which
# would hide the machine's pip configuration (index, certificates) from the install below.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + [a for a in sys.argv[1:] if a not in IGNORED])
