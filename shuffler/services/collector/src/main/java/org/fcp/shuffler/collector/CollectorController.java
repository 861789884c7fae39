package org.fcp.shuffler.collector;

import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** HTTP API of collector. */
@RestController
public class CollectorController {
  private final ReportLedger ledger;

  public CollectorController(ReportLedger ledger) {
    this.ledger = ledger;
  }

  @PostMapping(path = "/collector/v1/populations/{population}/tasks/{task}/reports",
      consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public ReportLedger.Receipt upload(
      @PathVariable String population, @PathVariable String task, @RequestBody(required = false) byte[] report) {
    return ledger.accept(population, task, report);
  }

  @GetMapping("/collector/v1/populations/{population}/tasks/{task}/summary")
  public Map<String, Object> summary(@PathVariable String population, @PathVariable String task) {
    return ledger.summary(population, task);
  }

  @ExceptionHandler(ReportLedger.Rejected.class)
  public ResponseEntity<Map<String, String>> rejected(ReportLedger.Rejected e) {
    HttpStatus status = e.tooLarge ? HttpStatus.PAYLOAD_TOO_LARGE : HttpStatus.BAD_REQUEST;
    return ResponseEntity.status(status).body(Map.of("error", e.getMessage()));
  }

  @ExceptionHandler(IllegalArgumentException.class)
  public ResponseEntity<Map<String, String>> badRequest(IllegalArgumentException e) {
    return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(Map.of("error", e.getMessage()));
  }
}
