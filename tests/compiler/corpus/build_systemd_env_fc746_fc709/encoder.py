# compiling never imports this file; it only has to exist
