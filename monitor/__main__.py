from monitor.entry.cli import main

main()
