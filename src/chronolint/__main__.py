from chronolint.cli.main import main

raise SystemExit(main())
