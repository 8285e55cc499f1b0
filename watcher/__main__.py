from watcher.cli import main

# Guarded: multiprocessing's forkserver imports the main module as __mp_main__.
if __name__ == "__main__":
    main()
