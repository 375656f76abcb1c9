import sys

from barter_cy.cli import main

sys.exit(main())
