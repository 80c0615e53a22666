from expo.cli import main

raise SystemExit(main())
