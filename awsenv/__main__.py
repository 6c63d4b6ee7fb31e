from awsenv.entry import main

raise SystemExit(main())
