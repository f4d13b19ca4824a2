import "./compile";
import "./errors";
import "./deploy";
import "./identity";
import "./consent";
import "./records";
import "./claims";
import "./simulate";
