from mockfortnox.cli import main

main()
