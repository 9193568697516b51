from kbp.cli.main import main

main()
