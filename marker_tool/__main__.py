from marker_tool.cli import main

main()
